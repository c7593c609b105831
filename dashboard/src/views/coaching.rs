//! Team coaching (`GET /v1/coaching`): for a period (two dates, the last 30 days to
//! start with), a table per case owner and one per team — cases handled, median time
//! to first contact, SLA met, win-back rate, customers' NPS with its margin — and the
//! best performers with their practices (the solutions they offered in the cases of
//! the period they resolved, with how often each won the customer back). Names and
//! solutions are set as text nodes only.

use leptos::prelude::*;
use nps_shared::coaching::{Coaching, CoachingRow, Practice};
use nps_shared::time::rfc3339;

use crate::format;
use crate::state::Session;

const DAY_MS: i64 = 86_400_000;

fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_string(), |p| format!("{}%", p.round() as i64))
}

fn hours(value: Option<f64>) -> String {
    match value {
        None => "—".to_string(),
        Some(h) if h < 1.0 => format!("{} min", (h * 60.0).round() as i64),
        Some(h) => format!("{:.1} h", h),
    }
}

#[component]
pub fn Coaching(survey_id: String) -> impl IntoView {
    let session = expect_context::<Session>();
    let now = js_sys::Date::now() as i64;
    let from = RwSignal::new(rfc3339(now - 29 * DAY_MS)[..10].to_string());
    let to = RwSignal::new(rfc3339(now)[..10].to_string());
    // The period as applied; the date fields apply on submit.
    let period = RwSignal::new((from.get_untracked(), to.get_untracked()));
    let view_survey = survey_id.clone();
    let data = LocalResource::new(move || {
        let id = view_survey.clone();
        let (from, to) = period.get();
        async move {
            let api = session.api()?;
            session.check(api.coaching(&id, &from, &to).await)
        }
    });
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        period.set((from.get_untracked(), to.get_untracked()));
    };
    let date = |label: &'static str, signal: RwSignal<String>, testid: &'static str| {
        view! {
            <label class="field inline">
                <span>{label}</span>
                <input
                    type="date"
                    data-testid=testid
                    prop:value=move || signal.get()
                    on:input=move |ev| signal.set(event_target_value(&ev))
                />
            </label>
        }
    };
    view! {
        <form class="card filters" aria-label="Period" on:submit=apply>
            {date("From", from, "coaching-from")}
            {date("To", to, "coaching-to")}
            <button type="submit" class="button ghost">"Show"</button>
        </form>
        {move || match data.get() {
            None => view! { <p class="muted loading">"Loading the coaching view…"</p> }.into_any(),
            Some(Err(e)) => view! { <p class="error" role="alert">{e.message()}</p> }.into_any(),
            Some(Ok(view)) => tables(view).into_any(),
        }}
    }
}

fn tables(coaching: Coaching) -> impl IntoView {
    let best = if coaching.best_performers.is_empty() {
        "Best performers show once at least three of an owner's customers answered again."
            .to_string()
    } else {
        format!(
            "Best performers (win-back): {}",
            coaching.best_performers.join(", ")
        )
    };
    let team_title = format!("Per team ({})", coaching.team_property);
    view! {
        <p class="muted" data-testid="best-performers">{best}</p>
        {practices(coaching.practices)}
        {table("Per owner", "Owner", "coaching-owner", coaching.owners)}
        {table(team_title, "Team", "coaching-team", coaching.teams)}
    }
}

/// What a practice says after its owner and cause.
fn practice_text(p: &Practice) -> String {
    let e = &p.entry;
    format!(
        "“{}”: won back {} of {} ({})",
        e.solution,
        e.won_back,
        e.used,
        percent(Some(100.0 * e.win_back_rate))
    )
}

fn practices(practices: Vec<Practice>) -> impl IntoView {
    (!practices.is_empty()).then(|| {
        let items = practices
            .into_iter()
            .map(|p| {
                view! {
                    <li data-testid="coaching-practice" data-owner=p.owner.clone()>
                        <strong>{p.owner.clone()}</strong>
                        " "
                        <span class="pill">{p.cause.clone()}</span>
                        " "
                        {practice_text(&p)}
                    </li>
                }
            })
            .collect_view();
        view! {
            <div class="card" data-testid="coaching-practices">
                <h2>"Practices of the best performers"</h2>
                <ul>{items}</ul>
            </div>
        }
    })
}

fn table(
    title: impl Into<String>,
    first: &'static str,
    testid: &'static str,
    rows: Vec<CoachingRow>,
) -> impl IntoView {
    let title = title.into();
    let body = rows
        .into_iter()
        .map(|r| {
            view! {
                <tr data-testid=testid data-name=r.name.clone()>
                    <th scope="row">{r.name.clone()}</th>
                    <td data-testid="coaching-cases">{r.cases}</td>
                    <td data-testid="coaching-median">{hours(r.median_hours_to_first_contact)}</td>
                    <td data-testid="coaching-sla">{percent(r.sla_met_percent)}</td>
                    <td data-testid="coaching-win-back">
                        {percent(r.win_back_percent)}
                        <span class="muted small">{format!(" of {}", r.answered_again)}</span>
                    </td>
                    <td data-testid="coaching-nps">
                        {format::nps_cell(r.customers.nps, r.customers.margin_of_error)}
                        <span class="muted small">{format!(" ({})", format::count(r.customers.responses))}</span>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="card table-wrap">
            <h2>{title.clone()}</h2>
            <table>
                <caption class="visually-hidden">{title}</caption>
                <thead>
                    <tr>
                        <th scope="col">{first}</th>
                        <th scope="col">"Cases"</th>
                        <th scope="col">"Median first contact"</th>
                        <th scope="col">"SLA met"</th>
                        <th scope="col">"Won back"</th>
                        <th scope="col">"Customers' NPS"</th>
                    </tr>
                </thead>
                <tbody>{body}</tbody>
            </table>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_rates_read_as_people_say_them() {
        assert_eq!(hours(Some(0.25)), "15 min");
        assert_eq!(hours(Some(3.0)), "3.0 h");
        assert_eq!(hours(None), "—");
        assert_eq!(percent(Some(66.666)), "67%");
        assert_eq!(percent(None), "—");
    }

    #[test]
    fn a_practice_says_its_solution_and_how_often_it_won_back() {
        let p = Practice {
            owner: "anna".into(),
            cause: "delivery".into(),
            entry: nps_shared::cause::PlaybookEntry::new("Refund shipping".into(), 3, 2),
        };
        assert_eq!(
            practice_text(&p),
            "“Refund shipping”: won back 2 of 3 (67%)"
        );
    }
}
