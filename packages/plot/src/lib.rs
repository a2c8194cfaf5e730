//! PNG line charts (plotters' bitmap backend, text drawn with an embedded DejaVu Sans through
//! ab_glyph, so no system font library is needed): the simulator's figures (docs/economics.md)
//! and the network's market report. A package of its own so the network draws its chart without
//! depending on the simulator.

use std::path::Path;
use std::sync::Once;

use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

static FONT: Once = Once::new();

fn ensure_font() {
    FONT.call_once(|| {
        let bytes: &'static [u8] = include_bytes!("../assets/DejaVuSans.ttf");
        // The embedded font is valid; a failure would only lose the labels.
        let _ = register_font("sans-serif", FontStyle::Normal, bytes);
    });
}

/// One named line.
pub struct Series<'a> {
    /// The legend's label.
    pub name: &'a str,
    /// (x, y) in order; points with a non-finite coordinate do not count toward the axes' ranges.
    pub points: Vec<(f64, f64)>,
}

const COLOURS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

fn bounds(series: &[Series]) -> ((f64, f64), (f64, f64)) {
    let points = series.iter().flat_map(|s| s.points.iter());
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, y) in points.filter(|(x, y)| x.is_finite() && y.is_finite()) {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    if x0 > x1 {
        return ((0.0, 1.0), (0.0, 1.0));
    }
    let pad = ((y1 - y0) * 0.05).max(1e-9);
    ((x0, x1.max(x0 + 1e-9)), (y0 - pad, y1 + pad))
}

/// One chart of a figure: its title, axis labels and lines.
pub struct Panel<'a> {
    /// The caption above the chart.
    pub title: &'a str,
    /// The horizontal axis' label.
    pub x_label: &'a str,
    /// The vertical axis' label.
    pub y_label: &'a str,
    /// The lines, coloured in order.
    pub series: Vec<Series<'a>>,
}

type DrawResult = Result<(), Box<dyn std::error::Error>>;

fn draw_panel(area: &DrawingArea<BitMapBackend, plotters::coord::Shift>, p: &Panel) -> DrawResult {
    let ((x0, x1), (y0, y1)) = bounds(&p.series);
    let mut chart = ChartBuilder::on(area)
        .caption(p.title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(42)
        .y_label_area_size(64)
        .build_cartesian_2d(x0..x1, y0..y1)?;
    chart
        .configure_mesh()
        .x_desc(p.x_label)
        .y_desc(p.y_label)
        .label_style(("sans-serif", 14))
        .light_line_style(WHITE)
        .draw()?;
    for (i, s) in p.series.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        chart
            .draw_series(LineSeries::new(
                s.points.iter().copied(),
                colour.stroke_width(2),
            ))?
            .label(s.name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .draw()?;
    Ok(())
}

/// Draws `panels` stacked vertically into one PNG at `path`.
pub fn panels(path: &Path, panels: &[Panel]) -> DrawResult {
    ensure_font();
    let height = 520 * panels.len().max(1) as u32;
    let root = BitMapBackend::new(path, (900, height)).into_drawing_area();
    root.fill(&WHITE)?;
    for (area, panel) in root
        .split_evenly((panels.len().max(1), 1))
        .iter()
        .zip(panels)
    {
        draw_panel(area, panel)?;
    }
    root.present()?;
    Ok(())
}

/// Draws `series` into a PNG at `path`.
pub fn line_chart(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
) -> DrawResult {
    let series = series
        .iter()
        .map(|s| Series {
            name: s.name,
            points: s.points.clone(),
        })
        .collect();
    panels(
        path,
        &[Panel {
            title,
            x_label,
            y_label,
            series,
        }],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panels_stack_into_one_png_with_the_embedded_font() {
        let dir = std::env::temp_dir().join(format!("loopin-plot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("panels.png");
        let line = |k: f64| Series {
            name: "line",
            points: (0..20).map(|i| (i as f64, (i as f64 * k).sin())).collect(),
        };
        let panel = |series| Panel {
            title: "title",
            x_label: "x",
            y_label: "y",
            series,
        };
        panels(
            &path,
            &[panel(vec![line(0.3)]), panel(vec![line(0.1), line(0.2)])],
        )
        .unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(&bytes[1..4], b"PNG");
        // IHDR: width and height, big-endian, after the signature and the chunk's length and type.
        let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
        assert_eq!((be(16), be(20)), (900, 2 * 520));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
