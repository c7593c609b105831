//! Geometry of the dashboard's charts: scales, "nice" gridline ticks, SVG path data for
//! the NPS trend (a line with its margin of error as a band), the 0–10 distribution
//! bars, NPS per revenue band (bars from zero with the margin as an error bar), and the
//! one-sentence summaries screen readers get instead of the picture.
//!
//! Pure arithmetic over numbers the report already holds: no Leptos, no DOM, no I/O,
//! so every figure on screen can be checked with a native `cargo test`. Coordinates
//! are SVG user units with y growing downwards.

use nps_shared::Category;
use std::fmt::Write;

/// NPS can be no lower than this…
pub const NPS_MIN: f64 = -100.0;
/// …and no higher than this.
pub const NPS_MAX: f64 = 100.0;

/// Where the plot sits inside the SVG: the margins leave room for axis labels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Frame {
    pub width: f64,
    pub height: f64,
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
}

impl Frame {
    pub fn plot_width(&self) -> f64 {
        (self.width - self.left - self.right).max(1.0)
    }

    pub fn plot_height(&self) -> f64 {
        (self.height - self.top - self.bottom).max(1.0)
    }

    /// The y of the plot's bottom edge (the x axis).
    pub fn baseline(&self) -> f64 {
        self.height - self.bottom
    }
}

/// Maps a domain interval linearly onto a range of coordinates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LinearScale {
    pub domain: (f64, f64),
    pub range: (f64, f64),
}

impl LinearScale {
    pub fn at(&self, value: f64) -> f64 {
        let (d0, d1) = self.domain;
        let (r0, r1) = self.range;
        if (d1 - d0).abs() < f64::EPSILON {
            return (r0 + r1) / 2.0;
        }
        r0 + (value - d0) / (d1 - d0) * (r1 - r0)
    }
}

/// A step of 1, 2 or 5 × 10ⁿ that cuts `span` into at most `max_ticks` intervals.
pub fn nice_step(span: f64, max_ticks: usize) -> f64 {
    let span = span.abs();
    if span < f64::EPSILON || max_ticks == 0 {
        return 1.0;
    }
    let rough = span / max_ticks as f64;
    let magnitude = 10f64.powf(rough.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|step| span / step <= max_ticks as f64 + 1e-9)
        .unwrap_or(10.0 * magnitude)
}

/// Multiples of a nice step from `min` to `max` inclusive (both assumed on the grid).
pub fn ticks(min: f64, max: f64, max_ticks: usize) -> Vec<f64> {
    let step = nice_step(max - min, max_ticks);
    let first = (min / step).ceil() as i64;
    let last = (max / step).floor() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

/// One trend bucket as the chart needs it.
#[derive(Clone, Debug, PartialEq)]
pub struct TrendPoint {
    pub label: String,
    pub nps: Option<f64>,
    pub margin: Option<f64>,
}

/// The y domain of a trend: every NPS and its band, widened to nice gridlines, at
/// least 20 points tall (so noise does not look like a cliff) and never beyond
/// −100..100. Without data: the whole −100..100.
pub fn nps_domain(points: &[TrendPoint]) -> (f64, f64) {
    let mut low = f64::INFINITY;
    let mut high = f64::NEG_INFINITY;
    for point in points {
        if let Some(nps) = point.nps {
            let margin = point.margin.unwrap_or(0.0);
            low = low.min(nps - margin);
            high = high.max(nps + margin);
        }
    }
    if !low.is_finite() || !high.is_finite() {
        return (NPS_MIN, NPS_MAX);
    }
    low = low.max(NPS_MIN);
    high = high.min(NPS_MAX);
    if high - low < 20.0 {
        let middle = (high + low) / 2.0;
        low = (middle - 10.0).max(NPS_MIN);
        high = (low + 20.0).min(NPS_MAX);
        low = high - 20.0;
    }
    let step = nice_step(high - low, 5);
    let low = ((low / step).floor() * step).max(NPS_MIN);
    let high = ((high / step).ceil() * step).min(NPS_MAX);
    (low, high)
}

/// How many labels to skip so that at most `max_labels` of `count` are drawn: every
/// `stride`-th label is shown.
pub fn label_stride(count: usize, max_labels: usize) -> usize {
    if max_labels == 0 {
        return count.max(1);
    }
    count.div_ceil(max_labels).max(1)
}

/// The x of the middle of slot `index` of `count` equal slots across the plot.
pub fn slot_center(frame: &Frame, index: usize, count: usize) -> f64 {
    let slot = frame.plot_width() / count.max(1) as f64;
    frame.left + slot * (index as f64 + 0.5)
}

fn push_point(path: &mut String, command: char, (x, y): (f64, f64)) {
    // Writing to a String cannot fail.
    let _ = write!(path, "{command}{x:.1} {y:.1}");
}

/// SVG path data through the points, lifting the pen over gaps (`None`), so an empty
/// bucket shows as a break rather than a made-up value.
pub fn line_path(points: &[Option<(f64, f64)>]) -> String {
    let mut path = String::new();
    let mut pen_down = false;
    for point in points {
        match point {
            Some(p) => {
                push_point(&mut path, if pen_down { 'L' } else { 'M' }, *p);
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    path
}

/// SVG path data of a band between `upper` and `lower` (same x per index), one closed
/// shape per run of points present in both; a lone point gets a narrow bar of
/// `half_width` either side so its uncertainty is still visible.
pub fn band_path(
    upper: &[Option<(f64, f64)>],
    lower: &[Option<(f64, f64)>],
    half_width: f64,
) -> String {
    let mut path = String::new();
    // (top, bottom) corners of one run of buckets with a band.
    type Run = Vec<((f64, f64), (f64, f64))>;
    let mut run: Run = Vec::new();
    let close_run = |run: &mut Run, path: &mut String| {
        match run.as_slice() {
            [] => {}
            [(top, bottom)] => {
                push_point(path, 'M', (top.0 - half_width, top.1));
                push_point(path, 'L', (top.0 + half_width, top.1));
                push_point(path, 'L', (bottom.0 + half_width, bottom.1));
                push_point(path, 'L', (bottom.0 - half_width, bottom.1));
                path.push('Z');
            }
            pairs => {
                for (i, (top, _)) in pairs.iter().enumerate() {
                    push_point(path, if i == 0 { 'M' } else { 'L' }, *top);
                }
                for (_, bottom) in pairs.iter().rev() {
                    push_point(path, 'L', *bottom);
                }
                path.push('Z');
            }
        }
        run.clear();
    };
    for pair in upper.iter().zip(lower) {
        match pair {
            (Some(top), Some(bottom)) => run.push((*top, *bottom)),
            _ => close_run(&mut run, &mut path),
        }
    }
    close_run(&mut run, &mut path);
    path
}

/// One bucket placed on the trend chart.
#[derive(Clone, Debug, PartialEq)]
pub struct PlottedBucket {
    pub label: String,
    pub x: f64,
    /// `None` for a bucket without answers.
    pub y: Option<f64>,
    pub nps: Option<f64>,
    pub margin: Option<f64>,
    /// Whether its label is drawn on the x axis (labels are thinned when crowded).
    pub show_label: bool,
}

/// A horizontal gridline.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Gridline {
    pub value: f64,
    pub y: f64,
}

/// Everything needed to draw the NPS trend.
#[derive(Clone, Debug, PartialEq)]
pub struct TrendChart {
    pub frame: Frame,
    pub buckets: Vec<PlottedBucket>,
    pub gridlines: Vec<Gridline>,
    pub line: String,
    pub band: String,
}

impl TrendChart {
    pub fn new(points: &[TrendPoint], frame: Frame, max_labels: usize) -> TrendChart {
        let (low, high) = nps_domain(points);
        let y = LinearScale {
            domain: (low, high),
            range: (frame.baseline(), frame.top),
        };
        let count = points.len();
        let stride = label_stride(count, max_labels);
        let buckets: Vec<PlottedBucket> = points
            .iter()
            .enumerate()
            .map(|(i, p)| PlottedBucket {
                label: p.label.clone(),
                x: slot_center(&frame, i, count),
                y: p.nps.map(|v| y.at(v)),
                nps: p.nps,
                margin: p.margin,
                // Thin from the end so the latest bucket is always labelled.
                show_label: (count - 1 - i).is_multiple_of(stride),
            })
            .collect();
        let centre: Vec<_> = buckets.iter().map(|b| b.y.map(|y| (b.x, y))).collect();
        let edge = |sign: f64| -> Vec<Option<(f64, f64)>> {
            buckets
                .iter()
                .map(|b| match (b.nps, b.margin) {
                    (Some(nps), Some(m)) => {
                        Some((b.x, y.at((nps + sign * m).clamp(NPS_MIN, NPS_MAX))))
                    }
                    _ => None,
                })
                .collect()
        };
        let half_width = (frame.plot_width() / count.max(1) as f64 / 4.0).min(12.0);
        TrendChart {
            frame,
            gridlines: ticks(low, high, 5)
                .into_iter()
                .map(|value| Gridline {
                    value,
                    y: y.at(value),
                })
                .collect(),
            line: line_path(&centre),
            band: band_path(&edge(1.0), &edge(-1.0), half_width),
            buckets,
        }
    }
}

/// What the trend chart says, in one sentence: "NPS by week, from 10 to 25".
pub fn trend_summary(interval: &str, points: &[TrendPoint]) -> String {
    let values: Vec<i64> = points
        .iter()
        .filter_map(|p| p.nps)
        .map(crate::format::round_nps)
        .collect();
    match values.as_slice() {
        [] => format!("NPS by {interval}: no answers in this range"),
        [only] => format!("NPS by {interval}: {only} in the only {interval} with answers"),
        [first, .., last] => format!(
            "NPS by {interval}, {} {interval}s, from {first} to {last}",
            points.len()
        ),
    }
}

/// One bar of the 0–10 distribution.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bar {
    pub score: u8,
    pub count: u64,
    pub category: Category,
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

/// Eleven bars, scaled so the most frequent score fills the plot's height; a gap of
/// a fifth of a slot between bars.
pub fn distribution_bars(counts: &[u64; 11], frame: &Frame) -> Vec<Bar> {
    let max = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    let slot = frame.plot_width() / 11.0;
    let width = slot * 0.8;
    counts
        .iter()
        .enumerate()
        .map(|(i, &count)| {
            let height = count as f64 / max * frame.plot_height();
            let score = i as u8;
            Bar {
                score,
                count,
                category: category_of(score),
                x: frame.left + slot * i as f64 + (slot - width) / 2.0,
                y: frame.baseline() - height,
                width,
                height,
            }
        })
        .collect()
}

/// Promoter 9–10, passive 7–8, detractor 0–6 (the same rule as `Score`'s).
pub fn category_of(score: u8) -> Category {
    match score {
        9.. => Category::Promoter,
        7 | 8 => Category::Passive,
        _ => Category::Detractor,
    }
}

/// What the distribution chart says: "Scores 0 to 10 of 120 answers; most often 9 (31)".
pub fn distribution_summary(counts: &[u64; 11]) -> String {
    let total: u64 = counts.iter().sum();
    if total == 0 {
        return "Scores 0 to 10: no answers in this range".to_owned();
    }
    let (score, count) = counts
        .iter()
        .enumerate()
        .max_by_key(|&(i, c)| (*c, std::cmp::Reverse(i)))
        .map(|(i, c)| (i, *c))
        .unwrap_or((0, 0));
    format!("Scores 0 to 10 of {total} answers; most often {score} ({count} answers)")
}

/// One revenue band as the chart needs it.
#[derive(Clone, Debug, PartialEq)]
pub struct BandPoint {
    /// "12.00–48.50": the revenue range of the band.
    pub label: String,
    pub responses: u64,
    pub nps: Option<f64>,
    pub margin: Option<f64>,
}

/// One band placed on the revenue chart: a bar from the zero line to its NPS and an
/// error bar over its margin.
#[derive(Clone, Debug, PartialEq)]
pub struct PlottedBand {
    pub label: String,
    pub responses: u64,
    pub nps: Option<f64>,
    /// The middle of the band's slot.
    pub x: f64,
    pub bar_width: f64,
    /// Top and height of the bar (from zero to the NPS, whichever is higher).
    pub bar_y: f64,
    pub bar_height: f64,
    /// The error bar's ends (NPS ± margin, clamped to −100..100).
    pub whisker: Option<(f64, f64)>,
    /// The y of the NPS itself, where its value is written.
    pub value_y: Option<f64>,
}

/// Everything needed to draw NPS per revenue band.
#[derive(Clone, Debug, PartialEq)]
pub struct RevenueChart {
    pub frame: Frame,
    pub bands: Vec<PlottedBand>,
    pub gridlines: Vec<Gridline>,
    /// The y of NPS 0, where the bars start.
    pub zero_y: f64,
}

impl RevenueChart {
    pub fn new(points: &[BandPoint], frame: Frame) -> RevenueChart {
        let as_trend: Vec<TrendPoint> = points
            .iter()
            .map(|p| TrendPoint {
                label: p.label.clone(),
                nps: p.nps,
                margin: p.margin,
            })
            .collect();
        let (mut low, mut high) = nps_domain(&as_trend);
        // Bars start at zero, so zero is always on the chart.
        low = low.min(0.0);
        high = high.max(0.0);
        let y = LinearScale {
            domain: (low, high),
            range: (frame.baseline(), frame.top),
        };
        let zero_y = y.at(0.0);
        let count = points.len();
        let bar_width = (frame.plot_width() / count.max(1) as f64 * 0.5).min(56.0);
        let bands = points
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let value_y = p.nps.map(|v| y.at(v));
                let (bar_y, bar_height) = match value_y {
                    Some(v) => (v.min(zero_y), (v - zero_y).abs()),
                    None => (zero_y, 0.0),
                };
                PlottedBand {
                    label: p.label.clone(),
                    responses: p.responses,
                    nps: p.nps,
                    x: slot_center(&frame, i, count),
                    bar_width,
                    bar_y,
                    bar_height,
                    whisker: match (p.nps, p.margin) {
                        (Some(n), Some(m)) => {
                            Some((y.at((n + m).min(NPS_MAX)), y.at((n - m).max(NPS_MIN))))
                        }
                        _ => None,
                    },
                    value_y,
                }
            })
            .collect();
        RevenueChart {
            frame,
            bands,
            gridlines: ticks(low, high, 5)
                .into_iter()
                .map(|value| Gridline {
                    value,
                    y: y.at(value),
                })
                .collect(),
            zero_y,
        }
    }
}

/// What the revenue chart says: "NPS by revenue band, lowest to highest: 12, 30, 41".
pub fn revenue_summary(points: &[BandPoint]) -> String {
    if points.is_empty() {
        return "NPS by revenue band: no answers with a revenue".to_owned();
    }
    let values: Vec<String> = points
        .iter()
        .map(|p| match p.nps {
            Some(n) => crate::format::round_nps(n).to_string(),
            None => "none".to_owned(),
        })
        .collect();
    format!(
        "NPS by revenue band, lowest to highest revenue: {}",
        values.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRAME: Frame = Frame {
        width: 640.0,
        height: 240.0,
        left: 40.0,
        right: 10.0,
        top: 10.0,
        bottom: 30.0,
    };

    fn point(label: &str, nps: Option<f64>, margin: Option<f64>) -> TrendPoint {
        TrendPoint {
            label: label.into(),
            nps,
            margin,
        }
    }

    #[test]
    fn a_scale_maps_the_domain_ends_onto_the_range_ends() {
        let s = LinearScale {
            domain: (-100.0, 100.0),
            range: (200.0, 0.0),
        };
        assert_eq!(s.at(-100.0), 200.0);
        assert_eq!(s.at(100.0), 0.0);
        assert_eq!(s.at(0.0), 100.0);
    }

    #[test]
    fn a_degenerate_domain_maps_to_the_middle_of_the_range() {
        let s = LinearScale {
            domain: (5.0, 5.0),
            range: (0.0, 10.0),
        };
        assert_eq!(s.at(5.0), 5.0);
    }

    #[test]
    fn nice_steps_are_one_two_or_five_times_a_power_of_ten() {
        assert_eq!(nice_step(200.0, 5), 50.0);
        assert_eq!(nice_step(40.0, 5), 10.0);
        assert_eq!(nice_step(20.0, 5), 5.0);
        assert_eq!(nice_step(7.0, 5), 2.0);
        assert_eq!(nice_step(0.0, 5), 1.0);
    }

    #[test]
    fn ticks_cover_the_domain_on_the_grid() {
        assert_eq!(
            ticks(-100.0, 100.0, 5),
            vec![-100.0, -50.0, 0.0, 50.0, 100.0]
        );
        assert_eq!(ticks(0.0, 40.0, 5), vec![0.0, 10.0, 20.0, 30.0, 40.0]);
    }

    #[test]
    fn the_nps_domain_holds_every_band_on_nice_gridlines() {
        let points = [
            point("a", Some(12.0), Some(9.0)),
            point("b", Some(30.0), Some(11.0)),
        ];
        let (low, high) = nps_domain(&points);
        assert!(low <= 3.0 && high >= 41.0, "{low}..{high}");
        let step = nice_step(high - low, 5);
        assert_eq!(low % step, 0.0);
        assert_eq!(high % step, 0.0);
    }

    #[test]
    fn the_nps_domain_never_leaves_minus_100_to_100() {
        let points = [
            point("a", Some(95.0), Some(30.0)),
            point("b", Some(-90.0), Some(40.0)),
        ];
        assert_eq!(nps_domain(&points), (NPS_MIN, NPS_MAX));
    }

    #[test]
    fn a_flat_trend_gets_a_domain_at_least_twenty_points_tall() {
        let (low, high) = nps_domain(&[point("a", Some(50.0), None)]);
        assert!(high - low >= 20.0);
        assert!(low <= 50.0 && 50.0 <= high);
        let (low, high) = nps_domain(&[point("a", Some(100.0), Some(0.0))]);
        assert_eq!(high, 100.0);
        assert!(high - low >= 20.0);
    }

    #[test]
    fn a_trend_without_answers_spans_the_whole_scale() {
        assert_eq!(nps_domain(&[point("a", None, None)]), (NPS_MIN, NPS_MAX));
    }

    #[test]
    fn label_strides_keep_at_most_the_asked_number_of_labels() {
        assert_eq!(label_stride(5, 8), 1);
        assert_eq!(label_stride(30, 8), 4);
        assert_eq!(label_stride(0, 8), 1);
    }

    #[test]
    fn a_line_lifts_the_pen_over_empty_buckets() {
        let path = line_path(&[Some((0.0, 1.0)), Some((2.0, 3.0)), None, Some((4.0, 5.0))]);
        assert_eq!(path, "M0.0 1.0L2.0 3.0M4.0 5.0");
    }

    #[test]
    fn a_band_closes_one_shape_per_run_and_widens_lone_points() {
        let upper = [Some((0.0, 0.0)), Some((10.0, 1.0)), None, Some((20.0, 2.0))];
        let lower = [Some((0.0, 5.0)), Some((10.0, 6.0)), None, Some((20.0, 7.0))];
        let path = band_path(&upper, &lower, 2.0);
        assert_eq!(
            path,
            "M0.0 0.0L10.0 1.0L10.0 6.0L0.0 5.0ZM18.0 2.0L22.0 2.0L22.0 7.0L18.0 7.0Z"
        );
    }

    #[test]
    fn the_trend_chart_places_one_bucket_per_point_left_to_right() {
        let points: Vec<_> = (0..4)
            .map(|i| point(&format!("W{i}"), Some(i as f64 * 10.0), Some(5.0)))
            .collect();
        let chart = TrendChart::new(&points, FRAME, 8);
        assert_eq!(chart.buckets.len(), 4);
        assert!(chart.buckets.windows(2).all(|w| w[0].x < w[1].x));
        assert!(chart.buckets.iter().all(|b| b.show_label));
        // Higher NPS is drawn higher up (smaller y).
        assert!(chart.buckets[3].y < chart.buckets[0].y);
        assert_eq!(chart.line.matches('L').count(), 3);
        assert!(chart.band.ends_with('Z'));
        assert!(chart.gridlines.len() >= 3);
    }

    #[test]
    fn crowded_labels_are_thinned_but_the_latest_is_kept() {
        let points: Vec<_> = (0..30)
            .map(|i| point(&format!("d{i}"), Some(0.0), None))
            .collect();
        let chart = TrendChart::new(&points, FRAME, 8);
        let shown = chart.buckets.iter().filter(|b| b.show_label).count();
        assert!(shown <= 8, "{shown}");
        assert!(chart.buckets.last().is_some_and(|b| b.show_label));
    }

    #[test]
    fn the_trend_summary_names_the_first_and_last_nps() {
        let points = [
            point("a", Some(9.6), Some(3.0)),
            point("b", None, None),
            point("c", Some(25.2), Some(3.0)),
        ];
        assert_eq!(
            trend_summary("week", &points),
            "NPS by week, 3 weeks, from 10 to 25"
        );
        assert_eq!(
            trend_summary("day", &[]),
            "NPS by day: no answers in this range"
        );
    }

    #[test]
    fn bars_are_coloured_by_category_at_the_boundaries() {
        let bars = distribution_bars(&[1; 11], &FRAME);
        assert_eq!(bars[6].category, Category::Detractor);
        assert_eq!(bars[7].category, Category::Passive);
        assert_eq!(bars[8].category, Category::Passive);
        assert_eq!(bars[9].category, Category::Promoter);
        assert_eq!(bars[10].category, Category::Promoter);
        assert_eq!(bars[0].category, Category::Detractor);
    }

    #[test]
    fn the_tallest_bar_fills_the_plot_and_an_empty_score_has_no_height() {
        let mut counts = [0; 11];
        counts[9] = 10;
        counts[3] = 5;
        let bars = distribution_bars(&counts, &FRAME);
        assert_eq!(bars[9].height, FRAME.plot_height());
        assert_eq!(bars[3].height, FRAME.plot_height() / 2.0);
        assert_eq!(bars[0].height, 0.0);
        assert_eq!(bars[0].y, FRAME.baseline());
    }

    #[test]
    fn the_distribution_summary_names_the_most_frequent_score() {
        let mut counts = [0; 11];
        counts[9] = 10;
        counts[10] = 10;
        counts[2] = 1;
        assert_eq!(
            distribution_summary(&counts),
            "Scores 0 to 10 of 21 answers; most often 9 (10 answers)"
        );
        assert_eq!(
            distribution_summary(&[0; 11]),
            "Scores 0 to 10: no answers in this range"
        );
    }

    fn band(label: &str, nps: Option<f64>, margin: Option<f64>) -> BandPoint {
        BandPoint {
            label: label.into(),
            responses: 10,
            nps,
            margin,
        }
    }

    #[test]
    fn revenue_bars_grow_from_zero_up_or_down() {
        let chart = RevenueChart::new(
            &[
                band("low", Some(-20.0), Some(10.0)),
                band("high", Some(40.0), Some(10.0)),
            ],
            FRAME,
        );
        let [low, high] = chart.bands.as_slice() else {
            panic!("two bands");
        };
        // Below zero: the bar hangs from the zero line.
        assert_eq!(low.bar_y, chart.zero_y);
        assert!(low.bar_height > 0.0);
        // Above zero: the bar ends at the zero line.
        assert!((high.bar_y + high.bar_height - chart.zero_y).abs() < 1e-9);
        assert!(high.x > low.x);
        assert!(chart.gridlines.iter().any(|g| g.value == 0.0));
    }

    #[test]
    fn the_error_bar_spans_the_margin_and_stays_on_the_scale() {
        let chart = RevenueChart::new(&[band("a", Some(95.0), Some(20.0))], FRAME);
        let b = &chart.bands[0];
        let (top, bottom) = b.whisker.expect("a margin");
        assert_eq!(top, FRAME.top, "clamped at 100");
        assert!(bottom > b.value_y.expect("an NPS"));
        assert!(top < b.value_y.expect("an NPS"));
    }

    #[test]
    fn a_band_without_answers_has_no_bar_and_no_whisker() {
        let chart = RevenueChart::new(&[band("a", None, None), band("b", Some(10.0), None)], FRAME);
        assert_eq!(chart.bands[0].bar_height, 0.0);
        assert_eq!(chart.bands[0].whisker, None);
        assert_eq!(chart.bands[1].whisker, None);
    }

    #[test]
    fn the_revenue_summary_reads_lowest_to_highest() {
        assert_eq!(
            revenue_summary(&[band("a", Some(9.6), None), band("b", None, None)]),
            "NPS by revenue band, lowest to highest revenue: 10, none"
        );
        assert_eq!(
            revenue_summary(&[]),
            "NPS by revenue band: no answers with a revenue"
        );
    }
}
