// f32 transcendentals (placeholder)
