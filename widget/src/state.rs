//! The widget's state machine: what is on screen and which events move it on.
//!
//! `Loading → Asking → FollowUp{category} → Thanks → Hidden`, with `Error` (a failed
//! POST, left only by retrying it; `queued` when the answer waits in the outbox for the
//! connection to come back, and is retried by itself), `CommentQueued` (the same for
//! the comment's PATCH, on the follow-up screen), `Refused` (the server will never take this answer:
//! a last line instead of thanks) and `Hidden` (dismissed, throttled, config failed).
//! Pure: no DOM, no network, no clock, so it is tested natively. Side effects live in
//! `app.rs`, which performs one only when [`Stage::on`] actually moved the stage: that
//! is what makes a double click or a click during a POST harmless.

use nps_shared::{Category, Score};

/// Where the widget is in its conversation with the visitor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Waiting for the survey config: nothing is shown.
    Loading,
    /// The 0–10 question. `sending` is the chosen score while its POST is in flight.
    Asking { sending: Option<Score> },
    /// The POST of `score` failed. Only a retry (same idempotency key) leaves this
    /// stage: choosing another score could store a second answer if the first one did
    /// reach the server. `queued`: it failed for want of a connection (or a server
    /// that is down), so it is kept in the outbox and retried with backoff.
    Error { score: Score, queued: bool },
    /// The score is stored; the follow-up question for its category is shown.
    /// `saving` is true while the comment is being sent.
    FollowUp { category: Category, saving: bool },
    /// The comment's PATCH failed for want of a connection (or a server that is down):
    /// it waits in the outbox and is retried like a queued score; the follow-up screen
    /// stays, its send button disabled.
    CommentQueued { category: Category },
    /// The thank-you line.
    Thanks,
    /// The POST was refused for good; a last line says why, with no retry.
    Refused(Refusal),
    /// Nothing is shown, for good.
    Hidden,
}

/// Why the server will never store an answer, unlike a failure worth a retry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// HTTP 409: this invitation (order) was answered, or the idempotency key of this
    /// answer was used for a different one.
    AlreadyAnswered,
    /// HTTP 403 to an answer with an invitation token: expired or not valid.
    LinkInvalid,
}

impl Refusal {
    /// What an HTTP error status of the POST means; `None` for a failure that a retry
    /// may get past (a 403 without a token is an origin problem of the page: kept a
    /// plain failure, as before).
    pub fn of_status(status: u16, with_token: bool) -> Option<Refusal> {
        match status {
            409 => Some(Refusal::AlreadyAnswered),
            403 if with_token => Some(Refusal::LinkInvalid),
            _ => None,
        }
    }
}

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    ConfigLoaded,
    /// The config did not load, or this browser answered recently.
    Unavailable,
    Chose(Score),
    /// The POST succeeded; the server says what the score means.
    Stored(Category),
    /// The POST (or the comment's PATCH) failed; `queued` as in [`Stage::Error`].
    SendFailed {
        queued: bool,
    },
    /// The POST was refused for good.
    Refused(Refusal),
    Retried,
    /// The visitor sent the follow-up form (a PATCH starts unless the comment is empty).
    CommentSubmitted {
        empty: bool,
    },
    /// The PATCH finished (successfully or not: the score is stored either way).
    CommentDone,
    Dismissed,
    /// The last line (thanks or refusal) has been visible long enough.
    ThanksElapsed,
}

/// What the view has to draw; changes less often than [`Stage`], so the view is only
/// rebuilt when the screen really changes (and focus stays where it was otherwise).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screen {
    Nothing,
    Question,
    FollowUp(Category),
    Thanks,
    Refused(Refusal),
}

impl Stage {
    /// The stage after `event`; events that make no sense in this stage change nothing.
    #[must_use]
    pub fn on(self, event: Event) -> Stage {
        use Event as E;
        use Stage as S;
        match (self, event) {
            (S::Loading, E::ConfigLoaded) => S::Asking { sending: None },
            (S::Loading, E::Unavailable) => S::Hidden,
            (S::Asking { sending: None }, E::Chose(score)) => S::Asking {
                sending: Some(score),
            },
            (S::Asking { sending: Some(_) }, E::Stored(category)) => S::FollowUp {
                category,
                saving: false,
            },
            (
                S::Asking {
                    sending: Some(score),
                },
                E::SendFailed { queued },
            ) => S::Error { score, queued },
            (S::Asking { sending: Some(_) }, E::Refused(why)) => S::Refused(why),
            (S::Error { score, .. }, E::Retried) => S::Asking {
                sending: Some(score),
            },
            (S::FollowUp { saving: false, .. }, E::CommentSubmitted { empty: true }) => S::Thanks,
            (
                S::FollowUp {
                    category,
                    saving: false,
                },
                E::CommentSubmitted { empty: false },
            ) => S::FollowUp {
                category,
                saving: true,
            },
            (S::FollowUp { saving: true, .. }, E::CommentDone) => S::Thanks,
            (
                S::FollowUp {
                    category,
                    saving: true,
                },
                E::SendFailed { queued: true },
            ) => S::CommentQueued { category },
            (S::CommentQueued { category }, E::Retried) => S::FollowUp {
                category,
                saving: true,
            },
            (S::Thanks | S::Refused(_), E::ThanksElapsed) => S::Hidden,
            (
                S::Asking { .. }
                | S::Error { .. }
                | S::FollowUp { .. }
                | S::CommentQueued { .. }
                | S::Thanks
                | S::Refused(_),
                E::Dismissed,
            ) => S::Hidden,
            (stage, _) => stage,
        }
    }

    pub fn screen(self) -> Screen {
        match self {
            Stage::Loading | Stage::Hidden => Screen::Nothing,
            Stage::Asking { .. } | Stage::Error { .. } => Screen::Question,
            Stage::FollowUp { category, .. } | Stage::CommentQueued { category } => {
                Screen::FollowUp(category)
            }
            Stage::Thanks => Screen::Thanks,
            Stage::Refused(why) => Screen::Refused(why),
        }
    }

    /// Whether the widget has said its last line (a floating one then goes away).
    pub fn is_last_line(self) -> bool {
        matches!(self, Stage::Thanks | Stage::Refused(_))
    }

    /// The score to show as checked on the scale.
    pub fn chosen(self) -> Option<Score> {
        match self {
            Stage::Asking { sending } => sending,
            Stage::Error { score, .. } => Some(score),
            _ => None,
        }
    }

    /// Whether the scale ignores choices (a score is on its way or failed).
    pub fn scale_locked(self) -> bool {
        self.chosen().is_some()
    }

    pub fn is_error(self) -> bool {
        matches!(self, Stage::Error { .. } | Stage::CommentQueued { .. })
    }

    /// Whether the failed answer (or comment) waits in the outbox (and says so).
    pub fn is_queued(self) -> bool {
        matches!(
            self,
            Stage::Error { queued: true, .. } | Stage::CommentQueued { .. }
        )
    }

    /// Whether the comment is on its way (or waits in the outbox): not sent again.
    pub fn is_saving(self) -> bool {
        matches!(
            self,
            Stage::FollowUp { saving: true, .. } | Stage::CommentQueued { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(n: u8) -> Score {
        Score::try_from(n).expect("a valid score")
    }

    fn run(events: &[Event]) -> Stage {
        events
            .iter()
            .fold(Stage::Loading, |stage, event| stage.on(*event))
    }

    #[test]
    fn a_happy_answer_goes_from_question_to_follow_up_to_thanks_to_hidden() {
        let mut stage = Stage::Loading.on(Event::ConfigLoaded);
        assert_eq!(stage, Stage::Asking { sending: None });
        stage = stage.on(Event::Chose(score(9)));
        assert_eq!(stage.chosen(), Some(score(9)));
        stage = stage.on(Event::Stored(Category::Promoter));
        assert_eq!(stage.screen(), Screen::FollowUp(Category::Promoter));
        stage = stage.on(Event::CommentSubmitted { empty: false });
        assert!(stage.is_saving());
        stage = stage.on(Event::CommentDone);
        assert_eq!(stage, Stage::Thanks);
        assert_eq!(stage.on(Event::ThanksElapsed), Stage::Hidden);
    }

    #[test]
    fn an_empty_comment_thanks_at_once() {
        let stage = run(&[
            Event::ConfigLoaded,
            Event::Chose(score(3)),
            Event::Stored(Category::Detractor),
            Event::CommentSubmitted { empty: true },
        ]);
        assert_eq!(stage, Stage::Thanks);
    }

    #[test]
    fn a_second_choice_while_sending_is_ignored() {
        let stage = run(&[
            Event::ConfigLoaded,
            Event::Chose(score(3)),
            Event::Chose(score(10)),
        ]);
        assert_eq!(
            stage,
            Stage::Asking {
                sending: Some(score(3))
            }
        );
    }

    #[test]
    fn a_failed_post_can_only_be_retried_with_the_same_score() {
        let failed = run(&[
            Event::ConfigLoaded,
            Event::Chose(score(6)),
            Event::SendFailed { queued: false },
        ]);
        assert_eq!(
            failed,
            Stage::Error {
                score: score(6),
                queued: false
            }
        );
        assert!(failed.is_error() && failed.scale_locked() && !failed.is_queued());
        assert_eq!(failed.on(Event::Chose(score(10))), failed);
        assert_eq!(
            failed.on(Event::Retried),
            Stage::Asking {
                sending: Some(score(6))
            }
        );
        assert_eq!(
            failed.on(Event::Retried).on(Event::Retried),
            Stage::Asking {
                sending: Some(score(6))
            }
        );
    }

    #[test]
    fn an_answer_without_a_connection_is_queued_and_retried_like_any_failure() {
        let queued = run(&[
            Event::ConfigLoaded,
            Event::Chose(score(9)),
            Event::SendFailed { queued: true },
        ]);
        assert!(queued.is_queued() && queued.is_error());
        assert_eq!(queued.chosen(), Some(score(9)));
        assert_eq!(queued.on(Event::Chose(score(1))), queued);
        let retried = queued.on(Event::Retried);
        assert_eq!(
            retried.on(Event::Stored(Category::Promoter)).screen(),
            Screen::FollowUp(Category::Promoter)
        );
    }

    #[test]
    fn a_comment_without_a_connection_is_queued_on_the_follow_up_and_retried() {
        let saving = run(&[
            Event::ConfigLoaded,
            Event::Chose(score(2)),
            Event::Stored(Category::Detractor),
            Event::CommentSubmitted { empty: false },
        ]);
        let queued = saving.on(Event::SendFailed { queued: true });
        assert_eq!(
            queued,
            Stage::CommentQueued {
                category: Category::Detractor
            }
        );
        assert!(queued.is_queued() && queued.is_error() && queued.is_saving());
        assert_eq!(queued.screen(), saving.screen(), "the form stays");
        assert_eq!(queued.chosen(), None);
        assert_eq!(
            queued.on(Event::CommentSubmitted { empty: false }),
            queued,
            "no second comment while one waits"
        );
        assert_eq!(queued.on(Event::CommentDone), queued);
        let retried = queued.on(Event::Retried);
        assert_eq!(retried, saving);
        assert_eq!(retried.on(Event::CommentDone), Stage::Thanks);
        assert_eq!(queued.on(Event::Dismissed), Stage::Hidden);
        // A comment not yet sent, or already done, cannot be queued.
        let follow_up = Stage::FollowUp {
            category: Category::Detractor,
            saving: false,
        };
        assert_eq!(follow_up.on(Event::SendFailed { queued: true }), follow_up);
        assert_eq!(
            Stage::Thanks.on(Event::SendFailed { queued: true }),
            Stage::Thanks
        );
    }

    #[test]
    fn a_refused_answer_ends_with_its_reason_and_no_retry() {
        for (status, token, why) in [
            (409, false, Refusal::AlreadyAnswered),
            (409, true, Refusal::AlreadyAnswered),
            (403, true, Refusal::LinkInvalid),
        ] {
            assert_eq!(Refusal::of_status(status, token), Some(why), "{status}");
            let stage = run(&[
                Event::ConfigLoaded,
                Event::Chose(score(3)),
                Event::Refused(why),
            ]);
            assert_eq!(stage, Stage::Refused(why));
            assert_eq!(stage.screen(), Screen::Refused(why));
            assert!(stage.is_last_line() && !stage.is_error());
            assert_eq!(stage.on(Event::Retried), stage);
            assert_eq!(stage.on(Event::Chose(score(9))), stage);
            assert_eq!(stage.on(Event::ThanksElapsed), Stage::Hidden);
            assert_eq!(stage.on(Event::Dismissed), Stage::Hidden);
        }
        for status in [0, 400, 422, 429, 500, 503] {
            assert_eq!(Refusal::of_status(status, true), None, "{status}");
        }
        assert_eq!(
            Refusal::of_status(403, false),
            None,
            "no token: an origin problem"
        );
        // Only an answer on its way can be refused.
        let asking = Stage::Asking { sending: None };
        assert_eq!(asking.on(Event::Refused(Refusal::AlreadyAnswered)), asking);
    }

    #[test]
    fn a_config_failure_hides_and_stays_hidden() {
        let stage = run(&[
            Event::Unavailable,
            Event::ConfigLoaded,
            Event::Chose(score(1)),
        ]);
        assert_eq!(stage, Stage::Hidden);
        assert_eq!(stage.screen(), Screen::Nothing);
    }

    #[test]
    fn dismissing_hides_from_every_visible_stage() {
        for stage in [
            Stage::Asking { sending: None },
            Stage::Error {
                score: score(0),
                queued: true,
            },
            Stage::FollowUp {
                category: Category::Passive,
                saving: false,
            },
            Stage::Thanks,
        ] {
            assert_eq!(stage.on(Event::Dismissed), Stage::Hidden, "{stage:?}");
        }
        assert_eq!(Stage::Loading.on(Event::Dismissed), Stage::Loading);
    }

    #[test]
    fn a_late_post_result_after_dismissal_changes_nothing() {
        let stage = run(&[
            Event::ConfigLoaded,
            Event::Chose(score(8)),
            Event::Dismissed,
        ]);
        assert_eq!(stage.on(Event::Stored(Category::Passive)), Stage::Hidden);
        assert_eq!(stage.on(Event::SendFailed { queued: true }), Stage::Hidden);
    }

    #[test]
    fn the_screen_does_not_change_while_a_score_is_sent_or_fails() {
        let asking = Stage::Asking { sending: None };
        assert_eq!(asking.screen(), Screen::Question);
        assert_eq!(asking.on(Event::Chose(score(5))).screen(), Screen::Question);
        assert_eq!(
            Stage::Error {
                score: score(5),
                queued: true
            }
            .screen(),
            Screen::Question
        );
    }
}
