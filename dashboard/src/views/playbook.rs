//! The playbook: what the team offered for a root cause in the survey's resolved
//! cases (`GET /v1/playbook?cause=&survey_id=`), each solution with how often it was
//! used and how often the customer came back as a promoter, best first. Solutions are
//! what colleagues typed: set as text nodes only, never as HTML.

use leptos::prelude::*;
use nps_shared::cause::Cause;

use crate::format;
use crate::state::Session;

#[component]
pub fn Playbook(survey_id: String, causes: Vec<Cause>) -> impl IntoView {
    let session = expect_context::<Session>();
    let cause = RwSignal::new(causes.first().map(|c| c.key.clone()).unwrap_or_default());
    let book = LocalResource::new(move || {
        let survey_id = survey_id.clone();
        let cause = cause.get();
        async move {
            let api = session.api()?;
            session.check(api.playbook(&cause, &survey_id).await)
        }
    });
    let options = causes
        .iter()
        .map(|c| {
            let key = c.key.clone();
            let selected = move || cause.get() == key;
            view! {
                <option value=c.key.clone() selected=selected>
                    {format!("{} ({})", c.label, c.department)}
                </option>
            }
        })
        .collect_view();
    let rows = move || match book.get() {
        None => view! { <p class="muted loading">"Loading the playbook…"</p> }.into_any(),
        Some(Err(e)) => view! { <p class="error" role="alert">{e.message()}</p> }.into_any(),
        Some(Ok(book)) if book.entries.is_empty() => view! {
            <p class="muted empty" data-testid="playbook-empty">
                "No resolved case of this cause has a solution yet."
            </p>
        }
        .into_any(),
        Some(Ok(book)) => {
            let rows = book
                .entries
                .into_iter()
                .map(|e| {
                    view! {
                        <tr data-testid="playbook-entry">
                            <td class="solution">{e.solution}</td>
                            <td class="num">{e.used}</td>
                            <td class="num">{e.won_back}</td>
                            <td class="num" data-testid="playbook-rate">{format::rate(e.win_back_rate)}</td>
                        </tr>
                    }
                })
                .collect_view();
            view! {
                <table class="table" data-testid="playbook">
                    <thead>
                        <tr>
                            <th scope="col">"Solution"</th>
                            <th scope="col" class="num">"Used"</th>
                            <th scope="col" class="num">"Won back"</th>
                            <th scope="col" class="num">"Win-back rate"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            }
            .into_any()
        }
    };
    view! {
        <div class="card">
            <p class="muted small">
                "What was offered to customers of a cause, and how often they came back as promoters. Best first."
            </p>
            <label class="field inline">
                <span>"Cause"</span>
                <select
                    data-testid="playbook-cause"
                    on:change=move |ev| cause.set(event_target_value(&ev))
                >
                    {options}
                </select>
            </label>
            {rows}
        </div>
    }
}
