//! The overview of one survey from `GET /v1/surveys/{id}/report`: the NPS headline with
//! its margin of error and the three categories, the trend (line and margin band), the
//! 0–10 distribution, the segments table, NPS per revenue band (with each band's margin
//! as an error bar and its count) and the comment themes (each with its share of
//! detractors and promoters, a sparkline of its trend and a button that lists its
//! newest comments); above them, the export of
//! the survey's answers (`views::exports`). Geometry comes from
//! `crate::charts`; this module only turns it into SVG elements.

use leptos::prelude::*;
use nps_shared::Category;
use nps_shared::report::{Group, GroupKind, Report, RevenueBand};
use nps_shared::themes::CommentTheme;

use crate::charts::{self, BandPoint, Frame, Gridline, RevenueChart, TrendChart, TrendPoint};
use crate::format::{self, ReportControls};
use crate::state::Session;

const TREND_FRAME: Frame = Frame {
    width: 720.0,
    height: 280.0,
    left: 44.0,
    right: 16.0,
    top: 16.0,
    bottom: 36.0,
};

const DISTRIBUTION_FRAME: Frame = Frame {
    width: 320.0,
    height: 200.0,
    left: 8.0,
    right: 8.0,
    top: 24.0,
    bottom: 36.0,
};

const REVENUE_FRAME: Frame = Frame {
    width: 340.0,
    height: 240.0,
    left: 36.0,
    right: 8.0,
    top: 16.0,
    bottom: 52.0,
};

/// SVG numbers with one decimal: enough for a screen, short in the DOM.
/// The horizontal gridlines of a chart with their NPS ticks, `tick_gap` px left of
/// the plot.
fn gridline_views(gridlines: &[Gridline], f: Frame, tick_gap: f64) -> impl IntoView + use<> {
    gridlines
        .iter()
        .map(|g| {
            view! {
                <line
                    class=if g.value == 0.0 { "grid zero" } else { "grid" }
                    x1=n(f.left)
                    x2=n(f.width - f.right)
                    y1=n(g.y)
                    y2=n(g.y)
                ></line>
                <text class="tick" x=n(f.left - tick_gap) y=n(g.y + 4.0) text-anchor="end">
                    {format!("{}", g.value as i64)}
                </text>
            }
        })
        .collect_view()
}

fn n(value: f64) -> String {
    format!("{value:.1}")
}

fn category_class(category: Category) -> &'static str {
    match category {
        Category::Promoter => "promoter",
        Category::Passive => "passive",
        Category::Detractor => "detractor",
    }
}

#[component]
pub fn Overview(survey_id: String) -> impl IntoView {
    let session = expect_context::<Session>();
    let export_survey_id = survey_id.clone();
    let controls = RwSignal::new(ReportControls {
        utc_offset_minutes: crate::clock::offset_now(),
        time_zone: crate::clock::zone_name(),
        ..ReportControls::default()
    });
    let report = LocalResource::new(move || {
        let id = survey_id.clone();
        let query = controls.get();
        async move {
            let api = session.api()?;
            session.check(api.report(&id, &query).await)
        }
    });

    let set = move |apply: fn(&mut ReportControls, String)| {
        move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            controls.update(|c| apply(c, value));
        }
    };

    view! {
        <form class="controls" aria-label="Report settings" on:submit=|ev| ev.prevent_default()>
            <label class="field inline">
                <span>"Interval"</span>
                <select on:change=set(|c, v| c.interval = v)>
                    <option value="day">"Day"</option>
                    <option value="week" selected>"Week"</option>
                    <option value="month">"Month"</option>
                </select>
            </label>
            <label class="field inline">
                <span>"Segments"</span>
                <select on:change=set(|c, v| c.group_by = v)>
                    <option value="store" selected>"Store"</option>
                    <option value="rfm">"RFM segment"</option>
                </select>
            </label>
            <label class="field inline">
                <span>"From"</span>
                <input type="date" on:change=set(|c, v| c.from = v) />
            </label>
        </form>
        <crate::views::exports::ExportPanel survey_id=export_survey_id />
        {move || match report.get() {
            None => view! { <p class="muted loading">"Loading the report…"</p> }.into_any(),
            Some(Err(e)) => view! { <p class="error" role="alert">{e.message()}</p> }.into_any(),
            Some(Ok(r)) => report_view(r).into_any(),
        }}
    }
}

fn report_view(report: Report) -> impl IntoView {
    let interval = report.scope.interval.as_str();
    let o = report.overall;
    let total = o.responses;
    let nps_value = o
        .nps
        .map(|v| format::round_nps(v).to_string())
        .unwrap_or_else(|| "—".into());
    let margin = o
        .margin_of_error
        .map(|m| format!(" ± {}", m.round() as i64))
        .unwrap_or_default();
    let share = |count: u64| format::percent(count, total);
    let flagged = (report.flagged_excluded > 0).then(|| {
        format!(
            "{} answers flagged as mail-scanner visits are left out.",
            report.flagged_excluded
        )
    });
    let theme_context = ThemeContext {
        detractor_buckets: report.themes.detractor_buckets.clone(),
        promoter_buckets: report.themes.promoter_buckets.clone(),
        utc_offset_minutes: report.scope.utc_offset_minutes.minutes(),
    };
    let group_title = match report
        .scope
        .group_by
        .as_ref()
        .map(|g| g.as_str().to_owned())
    {
        Some(g) if g == "rfm" => "RFM segments".to_owned(),
        Some(g) => format!("By {g}"),
        None => "Segments".to_owned(),
    };

    view! {
        <div class="grid">
            <section class="card headline" aria-labelledby="nps-title">
                <h2 id="nps-title">"Net Promoter Score"</h2>
                <p class="nps-headline" data-testid="nps-headline">
                    <span class="nps-label">"NPS "</span>
                    <span class="nps-value">{nps_value}</span>
                    <span class="nps-margin">{margin}</span>
                </p>
                <p class="muted">
                    {format!("{total} answers · 95% margin of error")}
                </p>
                <div class="stack" aria-hidden="true">
                    <span class="promoter" style=format!("flex-grow:{}", o.promoters)></span>
                    <span class="passive" style=format!("flex-grow:{}", o.passives)></span>
                    <span class="detractor" style=format!("flex-grow:{}", o.detractors)></span>
                </div>
                <ul class="split">
                    {[
                        ("promoter", "Promoters ", o.promoters),
                        ("passive", "Passives ", o.passives),
                        ("detractor", "Detractors ", o.detractors),
                    ]
                        .map(|(class, label, count)| view! {
                            <li>
                                <span class=format!("dot {class}")></span>
                                {label}
                                <strong>{count}</strong>
                                <span class="muted">{format!(" ({})", share(count))}</span>
                            </li>
                        })
                        .collect_view()}
                </ul>
                {flagged.map(|f| view! { <p class="muted small">{f}</p> })}
            </section>
            <section class="card wide" aria-labelledby="trend-title">
                <h2 id="trend-title">{format!("NPS by {interval}")}</h2>
                {trend_chart(&report)}
            </section>
            <section class="card" aria-labelledby="dist-title">
                <h2 id="dist-title">"Scores 0–10"</h2>
                {distribution_chart(&report.distribution.0)}
            </section>
            {report.sample.as_ref().map(|sample| view! {
                <p class="muted small wide" data-testid="sample-note">
                    {format::sample_note(sample)}
                </p>
            })}
            <section class="card wide" aria-labelledby="groups-title">
                <h2 id="groups-title">{group_title}</h2>
                {segments_table(report.groups)}
            </section>
            <section class="card" aria-labelledby="revenue-title">
                <h2 id="revenue-title">"NPS by customer revenue"</h2>
                {revenue_chart(&report.revenue_bands)}
            </section>
            <section class="card wide" aria-labelledby="themes-title">
                <h2 id="themes-title">"What comments talk about"</h2>
                <p class="muted small">
                    "Each theme with its share of detractors and promoters and its trend; "
                    "open one to read its comments."
                </p>
                <div class="themes">
                    {theme_list(
                        "Detractors mention",
                        "detractor",
                        report.themes.detractor,
                        report.themes.detractor_comments,
                        &theme_context,
                    )}
                    {theme_list(
                        "Promoters mention",
                        "promoter",
                        report.themes.promoter,
                        report.themes.promoter_comments,
                        &theme_context,
                    )}
                </div>
            </section>
        </div>
    }
}

fn trend_chart(report: &Report) -> impl IntoView + use<> {
    let points: Vec<TrendPoint> = report
        .trend
        .iter()
        .map(|b| TrendPoint {
            label: b.label.clone(),
            nps: b.summary.nps,
            margin: b.summary.margin_of_error,
        })
        .collect();
    let summary = charts::trend_summary(report.scope.interval.as_str(), &points);
    let chart = TrendChart::new(&points, TREND_FRAME, 7);
    let f = chart.frame;
    let gridlines = gridline_views(&chart.gridlines, f, 8.0);
    let buckets = chart
        .buckets
        .iter()
        .map(|b| {
            let point = b.y.map(|y| {
                view! { <circle class="point" cx=n(b.x) cy=n(y) r="4"></circle> }
            });
            let label = b.show_label.then(|| {
                view! {
                    <text class="xlabel" x=n(b.x) y=n(f.height - 12.0) text-anchor="middle">
                        {b.label.clone()}
                    </text>
                }
            });
            view! {
                <g class="bucket" data-bucket=b.label.clone()>
                    {point}
                    {label}
                </g>
            }
        })
        .collect_view();
    view! {
        <svg
            class="chart"
            data-testid="trend-chart"
            viewBox=format!("0 0 {} {}", f.width, f.height)
            role="img"
            aria-label=summary
        >
            {gridlines}
            <line class="axis" x1=n(f.left) x2=n(f.width - f.right) y1=n(f.baseline()) y2=n(f.baseline())></line>
            <path class="band" d=chart.band></path>
            <path class="line" d=chart.line></path>
            {buckets}
        </svg>
        <p class="muted small legend">
            <span class="swatch band"></span>
            "Shaded: 95% margin of error. Gaps: no answers."
        </p>
    }
}

fn distribution_chart(counts: &[u64; 11]) -> impl IntoView + use<> {
    let f = DISTRIBUTION_FRAME;
    let bars = charts::distribution_bars(counts, &f)
        .into_iter()
        .map(|bar| {
            let centre = bar.x + bar.width / 2.0;
            view! {
                <g class=format!("bar {}", category_class(bar.category))>
                    <rect
                        x=n(bar.x)
                        y=n(bar.y)
                        width=n(bar.width)
                        height=n(bar.height.max(1.0))
                        rx="3"
                    ></rect>
                    <text class="count" x=n(centre) y=n(bar.y - 6.0) text-anchor="middle">
                        {bar.count.to_string()}
                    </text>
                    <text class="xlabel" x=n(centre) y=n(f.height - 14.0) text-anchor="middle">
                        {bar.score.to_string()}
                    </text>
                </g>
            }
        })
        .collect_view();
    view! {
        <svg
            class="chart"
            data-testid="distribution-chart"
            viewBox=format!("0 0 {} {}", f.width, f.height)
            role="img"
            aria-label=charts::distribution_summary(counts)
        >
            <line class="axis" x1=n(f.left) x2=n(f.width - f.right) y1=n(f.baseline()) y2=n(f.baseline())></line>
            {bars}
        </svg>
        <p class="muted small legend">
            <span class="legend-item"><span class="dot detractor"></span>"Detractors 0–6"</span>
            <span class="legend-item"><span class="dot passive"></span>"Passives 7–8"</span>
            <span class="legend-item"><span class="dot promoter"></span>"Promoters 9–10"</span>
        </p>
    }
}

fn revenue_chart(bands: &[RevenueBand]) -> impl IntoView + use<> {
    if bands.is_empty() {
        return view! {
            <p class="muted" data-testid="revenue-empty">
                "No answers carry a " <code>"revenue"</code>
                " property yet. Send it with each answer (" <code>"data-prop-revenue"</code>
                ") to see whether your best customers are your happiest."
            </p>
        }
        .into_any();
    }
    let points: Vec<BandPoint> = bands
        .iter()
        .map(|b| BandPoint {
            label: format!(
                "{}–{}",
                format::money_short(b.min_revenue),
                format::money_short(b.max_revenue)
            ),
            responses: b.summary.responses,
            nps: b.summary.nps,
            margin: b.summary.margin_of_error,
        })
        .collect();
    let chart = RevenueChart::new(&points, REVENUE_FRAME);
    let f = chart.frame;
    let gridlines = gridline_views(&chart.gridlines, f, 6.0);
    let plotted = chart
        .bands
        .iter()
        .map(|b| {
            let sign = match b.nps {
                Some(v) if v < 0.0 => "negative",
                _ => "positive",
            };
            let half = b.bar_width / 2.0;
            let whisker = b.whisker.map(|(top, bottom)| {
                view! {
                    <g class="whisker">
                        <line x1=n(b.x) x2=n(b.x) y1=n(top) y2=n(bottom)></line>
                        <line x1=n(b.x - 6.0) x2=n(b.x + 6.0) y1=n(top) y2=n(top)></line>
                        <line x1=n(b.x - 6.0) x2=n(b.x + 6.0) y1=n(bottom) y2=n(bottom)></line>
                    </g>
                }
            });
            let value = b.nps.zip(b.value_y).map(|(nps, y)| {
                view! {
                    <text class="count" x=n(b.x + half + 4.0) y=n(y + 4.0) text-anchor="start">
                        {format::round_nps(nps).to_string()}
                    </text>
                }
            });
            view! {
                <g class=format!("rev-band {sign}") data-testid="revenue-band">
                    <rect x=n(b.x - half) y=n(b.bar_y) width=n(b.bar_width) height=n(b.bar_height.max(1.0)) rx="3"></rect>
                    {whisker}
                    {value}
                    <text class="xlabel" x=n(b.x) y=n(f.height - 30.0) text-anchor="middle">
                        {b.label.clone()}
                    </text>
                    <text class="xlabel small" x=n(b.x) y=n(f.height - 14.0) text-anchor="middle">
                        {format!("n = {}", b.responses)}
                    </text>
                </g>
            }
        })
        .collect_view();
    view! {
        <svg
            class="chart"
            data-testid="revenue-chart"
            viewBox=format!("0 0 {} {}", f.width, f.height)
            role="img"
            aria-label=charts::revenue_summary(&points)
        >
            {gridlines}
            {plotted}
        </svg>
        <p class="muted small legend">
            "Customers in five revenue bands, lowest left. Whiskers: 95% margin of error; n: answers."
        </p>
    }
    .into_any()
}

fn segments_table(groups: Vec<Group>) -> impl IntoView {
    if groups.is_empty() {
        return view! { <p class="muted">"No answers to group."</p> }.into_any();
    }
    let with_revenue = groups.iter().any(|g| g.revenue.is_some());
    let rows = groups
        .into_iter()
        .map(|g| {
            let total = g.summary.responses;
            let name = match (g.kind, g.merged_values) {
                (GroupKind::Other, merged) if merged > 0 => {
                    format!("{} ({merged} small values)", g.value)
                }
                _ => g.value.clone(),
            };
            let revenue = with_revenue.then(|| {
                view! { <td class="num">{g.revenue.map(format::money).unwrap_or_else(|| "—".into())}</td> }
            });
            view! {
                <tr class:dim=total == 0>
                    <th scope="row">{name}</th>
                    <td class="num">{total}</td>
                    <td class="num strong">{format::nps_cell(g.summary.nps, g.summary.margin_of_error)}</td>
                    <td class="num">{format::percent(g.summary.promoters, total)}</td>
                    <td class="num">{format::percent(g.summary.detractors, total)}</td>
                    {revenue}
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table data-testid="segments">
                <thead>
                    <tr>
                        <th scope="col">"Segment"</th>
                        <th scope="col" class="num">"Answers"</th>
                        <th scope="col" class="num">"NPS"</th>
                        <th scope="col" class="num">"Promoters"</th>
                        <th scope="col" class="num">"Detractors"</th>
                        {with_revenue.then(|| view! { <th scope="col" class="num">"Revenue"</th> })}
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

/// What every theme of a report is drawn against.
struct ThemeContext {
    /// Detractor comments per trend bucket: a detractor theme's trend is its share.
    detractor_buckets: Vec<u64>,
    /// Promoter comments per trend bucket, likewise.
    promoter_buckets: Vec<u64>,
    /// Local time for the comments' dates.
    utc_offset_minutes: i32,
}

fn theme_list(
    title: &'static str,
    kind: &'static str,
    themes: Vec<CommentTheme>,
    comments: u64,
    context: &ThemeContext,
) -> impl IntoView + use<> {
    let body = if themes.is_empty() {
        view! { <p class="muted">"Not enough comments yet to find themes."</p> }.into_any()
    } else {
        themes
            .into_iter()
            .map(|t| theme_item(kind, t, context))
            .collect_view()
            .into_any()
    };
    view! {
        <div class="theme-column" data-testid=format!("{kind}-themes")>
            <h3>
                {title}
                <span class="muted small">{format!(" · {comments} comments")}</span>
            </h3>
            <ul class="theme-list">{body}</ul>
        </div>
    }
}

/// One theme: its term (a button that opens its comments), shares, sparkline and
/// examples.
fn theme_item(
    kind: &'static str,
    t: CommentTheme,
    context: &ThemeContext,
) -> impl IntoView + use<> {
    const SPARK_W: f64 = 96.0;
    const SPARK_H: f64 = 22.0;
    let open = RwSignal::new(false);
    let examples = t
        .examples
        .iter()
        .take(3)
        // Customers wrote these: text nodes only, never HTML.
        .map(|e| view! { <li><q>{e.clone()}</q></li> })
        .collect_view();
    let side_buckets = if kind == "detractor" {
        &context.detractor_buckets
    } else {
        &context.promoter_buckets
    };
    let points = format::sparkline(&t.trend, side_buckets, SPARK_W, SPARK_H);
    let spark = (!points.is_empty()).then(|| {
        view! {
            <svg class="sparkline" data-testid="theme-trend" role="img"
                aria-label=format::trend_label(&t.trend)
                viewBox=format!("-2 -2 {} {}", SPARK_W + 4.0, SPARK_H + 4.0)
                width=SPARK_W + 4.0 height=SPARK_H + 4.0>
                <polyline class=format!("spark {kind}") points=points fill="none"/>
            </svg>
        }
    });
    let merged = (!t.merged.is_empty()).then(|| format!("also: {}", t.merged.join(", ")));
    let total = t.detractors + t.promoters;
    let listed = t.comments;
    let offset = context.utc_offset_minutes;
    let list_id = format!(
        "theme-comments-{kind}-{}",
        t.stem.replace(|c: char| !c.is_alphanumeric(), "-")
    );
    let list_for = list_id.clone();
    view! {
        <li class="theme" data-testid="theme" data-term=t.term.clone()>
            <div class="theme-head">
                <button type="button" class=format!("term {kind}")
                    aria-expanded=move || open.get().to_string()
                    aria-controls=list_for
                    on:click=move |_| open.update(|o| *o = !*o)>
                    {t.term.clone()}
                </button>
                <span class="muted small" data-testid="theme-shares">
                    {format::theme_shares(t.detractor_share, t.promoter_share)}
                </span>
                {spark}
            </div>
            {merged.map(|m| view! { <p class="muted small merged">{m}</p> })}
            <ul class="examples">{examples}</ul>
            <div id=list_id>
                {move || open.get().then(|| {
                    let items = listed
                        .iter()
                        .map(|c| view! {
                            <li data-response-id=c.id.clone()>
                                <span class=format!("score {}", c.score.category().as_str())>
                                    {u8::from(c.score)}
                                </span>
                                " "
                                <q>{c.comment.clone()}</q>
                                " "
                                <span class="muted small">{format::local_time(&c.created_at, offset)}</span>
                            </li>
                        })
                        .collect_view();
                    view! {
                        <div class="theme-comments" data-testid="theme-comments">
                            <p class="muted small">
                                {format!("The newest {} of {} comments", listed.len(), total)}
                            </p>
                            <ul>{items}</ul>
                        </div>
                    }
                })}
            </div>
        </li>
    }
}
