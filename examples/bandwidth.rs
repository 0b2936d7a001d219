//! A bandwidthTest for wgpu: host<->device copy speed per method and size, beside host `memcpy`.
//!
//! ```text
//! cargo run --release --example bandwidth -- --quick
//! cargo run --release --example bandwidth -- --min 256MiB --max 256MiB --runs 7
//! cargo run --release --example bandwidth -- --json --plot bandwidth.svg
//! ```
//!
//! Methods: `upload`/`download`/`download_into` (into a reused, warm Array) through this crate on each transfer path the adapter offers (`mapped`: the host
//! maps the tensor's storage buffer; `staging`: staging ring + GPU copy), `write_buffer` (`queue.write_buffer` into
//! a reused storage buffer), `staging+copy` (a reused MAP_WRITE buffer, then a GPU copy), `direct map` (a reused
//! mappable storage buffer, MAPPABLE_PRIMARY_BUFFERS only), and `memcpy` (host to host, warm). Each figure is the
//! median of `--runs` runs, in GB/s (10⁹ B/s), and its ratio to memcpy at the same size.

use std::time::Instant;

use clap::Parser;
use wgpu_tensor::{Array, Device, DeviceOptions, TransferPath};

#[derive(Parser, Debug)]
#[command(about = "Host<->device bandwidth of wgpu-tensor transfers beside write_buffer, staging, mapping, memcpy")]
struct Args {
    /// Smallest size (bytes; suffixes KiB, MiB, GiB).
    #[arg(long, default_value = "4KiB", value_parser = parse_size)]
    min: u64,
    /// Largest size (bytes; suffixes KiB, MiB, GiB). Sizes go up by 4×.
    #[arg(long, default_value = "1GiB", value_parser = parse_size)]
    max: u64,
    /// Runs per size and method (the median is reported).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// A short sweep (4 KiB … 64 MiB, 3 runs): under 30 s on a software adapter.
    #[arg(long)]
    quick: bool,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Write an SVG plot of GB/s against size per method.
    #[arg(long)]
    plot: Option<std::path::PathBuf>,
}

fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (num, mul) = [("GiB", 1u64 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10), ("B", 1)]
        .iter()
        .find_map(|(suffix, m)| s.strip_suffix(suffix).map(|n| (n, *m)))
        .unwrap_or((s, 1));
    num.trim().parse::<u64>().map(|n| n * mul).map_err(|e| format!("bad size {s:?}: {e}"))
}

fn human(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{} GiB", b >> 30),
        b if b >= 1 << 20 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 => format!("{} KiB", b >> 10),
        b => format!("{b} B"),
    }
}

/// An axis label in decimal units (the log axis ticks at powers of ten): `10 kB`, `1 MB`, …
fn si_bytes(x: f64) -> String {
    let (value, unit) =
        [(1e9, "GB"), (1e6, "MB"), (1e3, "kB")].into_iter().find(|(u, _)| x >= *u).unwrap_or((1.0, "B"));
    format!("{} {unit}", (x / value).round())
}

struct Row {
    size: u64,
    method: String,
    gbps: f64,
    ratio: f64,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// The median seconds of `runs` calls of `f` (after one warm-up call).
fn time(runs: usize, mut f: impl FnMut()) -> f64 {
    f();
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64()
            })
            .collect(),
    )
}

fn wait(device: &Device) {
    device.wgpu_device().poll(wgpu::PollType::wait_indefinitely()).expect("device lost");
}

fn map_wait(device: &Device, buffer: &wgpu::Buffer, mode: wgpu::MapMode) {
    buffer.map_async(mode, .., |r| r.expect("map failed"));
    wait(device);
}

type Method<'a> = (String, Box<dyn FnMut(&Array) + 'a>);

fn methods<'a>(devices: &'a [Device], size: u64) -> Vec<Method<'a>> {
    let mut out: Vec<Method<'a>> = Vec::new();
    let mut host = vec![0u8; size as usize];
    out.push(("memcpy".into(), Box::new(move |a: &Array| host.copy_from_slice(a.as_bytes()))));
    for device in devices {
        let name = match device.transfer_path() {
            TransferPath::MappedStorage => "mapped",
            _ => "staging",
        };
        out.push((
            format!("upload ({name})"),
            Box::new(move |a: &Array| {
                drop(device.upload(a).expect("upload"));
                wait(device);
            }),
        ));
        let mut tensor: Option<wgpu_tensor::DeviceTensor> = None;
        out.push((
            format!("download ({name})"),
            Box::new(move |a: &Array| {
                let t = tensor.get_or_insert_with(|| device.upload(a).expect("upload"));
                drop(t.download().expect("download"));
            }),
        ));
        let mut tensor: Option<(wgpu_tensor::DeviceTensor, Array)> = None;
        out.push((
            format!("download_into ({name})"),
            Box::new(move |a: &Array| {
                let (t, host) = tensor.get_or_insert_with(|| (device.upload(a).expect("upload"), a.clone()));
                t.download_into(host).expect("download");
            }),
        ));
    }
    let device = &devices[0];
    let (wd, q) = (device.wgpu_device(), device.wgpu_queue());
    let storage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::COPY_SRC;
    let desc = |usage, mapped| wgpu::BufferDescriptor { label: None, size, usage, mapped_at_creation: mapped };
    let target = wd.create_buffer(&desc(storage, false));
    out.push((
        "write_buffer".into(),
        Box::new({
            let target = target.clone();
            move |a: &Array| {
                q.write_buffer(&target, 0, a.as_bytes());
                q.submit([]);
                wait(device);
            }
        }),
    ));
    let staging = wd.create_buffer(&desc(wgpu::BufferUsages::MAP_WRITE | wgpu::BufferUsages::COPY_SRC, true));
    staging.unmap();
    out.push((
        "staging+copy".into(),
        Box::new(move |a: &Array| {
            map_wait(device, &staging, wgpu::MapMode::Write);
            staging.get_mapped_range_mut(..).expect("mapped").slice(..).copy_from_slice(a.as_bytes());
            staging.unmap();
            let mut e = wd.create_command_encoder(&Default::default());
            e.copy_buffer_to_buffer(&staging, 0, &target, 0, size);
            q.submit([e.finish()]);
            wait(device);
        }),
    ));
    if wd.features().contains(wgpu::Features::MAPPABLE_PRIMARY_BUFFERS) {
        let usage = storage | wgpu::BufferUsages::MAP_WRITE | wgpu::BufferUsages::MAP_READ;
        let direct = wd.create_buffer(&desc(usage, true));
        direct.unmap();
        out.push((
            "direct map".into(),
            Box::new(move |a: &Array| {
                map_wait(device, &direct, wgpu::MapMode::Write);
                direct.get_mapped_range_mut(..).expect("mapped").slice(..).copy_from_slice(a.as_bytes());
                direct.unmap();
            }),
        ));
    }
    out
}

fn open(path: TransferPath) -> Option<Device> {
    Device::with_options(DeviceOptions { transfer_path: path, ..Default::default() }).ok()
}

fn main() {
    let mut args = Args::parse();
    if args.quick {
        args.min = args.min.max(4 << 10);
        args.max = args.max.min(64 << 20);
        args.runs = args.runs.min(3);
    }
    let staging =
        match Device::with_options(DeviceOptions { transfer_path: TransferPath::Staging, ..Default::default() }) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        };
    let mut devices: Vec<Device> = open(TransferPath::MappedStorage).into_iter().collect();
    devices.push(staging);
    let info = devices[0].info();
    if !args.json {
        println!("adapter: {} ({:?}, {:?}), uma: {}", info.name, info.backend, info.device_type, info.uma);
        println!("auto path: {}", open(TransferPath::Auto).map_or("?".into(), |d| d.transfer_path().to_string()));
    }
    let mut sizes = vec![];
    let mut s = args.min.max(4);
    while s <= args.max {
        sizes.push(s);
        s *= 4;
    }
    let bar = indicatif::ProgressBar::new(sizes.len() as u64);
    if args.json || sizes.iter().sum::<u64>() < (64 << 20) {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let mut rows = Vec::new();
    for &size in &sizes {
        bar.set_message(human(size));
        let array =
            Array::from_vec((0..size).map(|i| (i * 7 + 3) as u8).collect::<Vec<u8>>(), [size as usize]).expect("array");
        let runs = if size >= 256 << 20 { args.runs } else { args.runs.max(5) };
        let mut memcpy = 0.0;
        for (method, mut f) in methods(&devices, size) {
            let gbps = size as f64 / time(runs, || f(&array)) / 1e9;
            if method == "memcpy" {
                memcpy = gbps;
            }
            rows.push(Row { size, method, gbps, ratio: gbps / memcpy });
        }
        for d in &devices {
            d.trim_pool();
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    let small = Array::from_vec(vec![1u32], [1]).expect("array");
    let round_trips: Vec<(String, f64)> = devices
        .iter()
        .map(|d| {
            let secs = time(1000, || drop(d.upload(&small).and_then(|t| t.download()).expect("round trip")));
            (d.transfer_path().to_string(), secs * 1e6)
        })
        .collect();
    if args.json {
        let rows: Vec<_> = rows
            .iter()
            .map(|r| serde_json::json!({"bytes": r.size, "method": r.method, "gb_per_s": r.gbps, "x_memcpy": r.ratio}))
            .collect();
        let rt: Vec<_> =
            round_trips.iter().map(|(p, us)| serde_json::json!({"path": p, "round_trip_4_bytes_us": us})).collect();
        let out = serde_json::json!({"adapter": info.name, "backend": format!("{:?}", info.backend), "results": rows,
            "round_trips": rt});
        println!("{}", serde_json::to_string_pretty(&out).expect("json"));
    } else {
        println!("{:>9}  {:<24} {:>9} {:>10}", "size", "method", "GB/s", "x memcpy");
        for r in &rows {
            println!("{:>9}  {:<24} {:>9.2} {:>10.2}", human(r.size), r.method, r.gbps, r.ratio);
        }
        for (p, us) in &round_trips {
            println!("4-byte round trip, {p}: {us:.1} µs (median of 1000)");
        }
    }
    if let Some(path) = &args.plot
        && let Err(e) = plot(path, &rows)
    {
        eprintln!("plot failed: {e}");
        std::process::exit(1);
    }
}

fn plot(path: &std::path::Path, rows: &[Row]) -> Result<(), Box<dyn std::error::Error>> {
    use plotters::prelude::*;
    let root = SVGBackend::new(path, (900, 600)).into_drawing_area();
    root.fill(&WHITE)?;
    let xmin = rows.iter().map(|r| r.size).min().unwrap_or(1) as f64;
    let xmax = rows.iter().map(|r| r.size).max().unwrap_or(2) as f64;
    let ymax = rows.iter().map(|r| r.gbps).fold(1.0, f64::max) * 1.1;
    let mut chart = ChartBuilder::on(&root)
        .caption("wgpu-tensor bandwidth", ("sans-serif", 20))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d((xmin..xmax * 1.01).log_scale(), 0.0..ymax)?;
    chart.configure_mesh().x_desc("transfer size").y_desc("GB/s").x_label_formatter(&|x| si_bytes(*x)).draw()?;
    let mut methods: Vec<&str> = rows.iter().map(|r| r.method.as_str()).collect();
    methods.dedup();
    methods.sort();
    methods.dedup();
    for (i, m) in methods.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        let points = rows.iter().filter(|r| r.method == *m).map(|r| (r.size as f64, r.gbps));
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)))?
            .label(*m)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}
