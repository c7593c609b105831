//! The widget's own words in twelve languages, which language to speak, and the
//! texts of one survey on top of them.
//!
//! Every string the widget can show has a built-in translation (the question, the
//! labelled ends of the scale, the follow-up question per category, send, close,
//! thanks, and the lines for a failure, a queued answer, a repeated answer and an
//! expired link). A survey's own texts replace the built-in ones when they are in the
//! language the widget speaks; a survey without that language gets the built-in words
//! rather than another language's.
//!
//! The language is the first of `data-locale`, the page's `<html lang>` and the
//! browser's `navigator.languages` that the widget or the survey speaks; English
//! otherwise. Pure: no DOM, so it is tested natively.

use nps_shared::Category;

/// The languages with built-in words, by their primary language subtag.
pub const LANGUAGES: [&str; 12] = [
    "en", "de", "fr", "es", "it", "nl", "pt", "pl", "sv", "ja", "ar", "he",
];

/// Every string the widget shows, in one language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Words {
    pub question: &'static str,
    /// Under 0 and under 10; also part of those radios' accessible names.
    pub low: &'static str,
    pub high: &'static str,
    pub detractor: &'static str,
    pub passive: &'static str,
    pub promoter: &'static str,
    pub placeholder: &'static str,
    pub send: &'static str,
    pub close: &'static str,
    pub thanks: &'static str,
    /// A failure the server will not get past by itself (a retry is offered).
    pub error: &'static str,
    pub retry: &'static str,
    /// No connection (or the server is down): the answer is kept and sent later.
    pub queued: &'static str,
    pub already: &'static str,
    pub invalid_link: &'static str,
}

const EN: Words = Words {
    question: "How likely are you to recommend us to a friend or colleague?",
    low: "Not at all likely",
    high: "Extremely likely",
    detractor: "What went wrong?",
    passive: "What would make it a 10?",
    promoter: "What do you like most?",
    placeholder: "Your comment (optional)",
    send: "Send",
    close: "Close",
    thanks: "Thank you for your feedback!",
    error: "Your answer could not be sent.",
    retry: "Try again",
    queued: "No connection right now. Your answer is saved and will be sent automatically.",
    already: "You have already answered this survey — thank you!",
    invalid_link: "This survey link is no longer valid.",
};

const DE: Words = Words {
    question: "Wie wahrscheinlich ist es, dass Sie uns einem Freund oder Kollegen empfehlen?",
    low: "Sehr unwahrscheinlich",
    high: "Äußerst wahrscheinlich",
    detractor: "Was ist schiefgelaufen?",
    passive: "Was würde daraus eine 10 machen?",
    promoter: "Was gefällt Ihnen am besten?",
    placeholder: "Ihr Kommentar (optional)",
    send: "Senden",
    close: "Schließen",
    thanks: "Vielen Dank für Ihr Feedback!",
    error: "Die Antwort konnte nicht gesendet werden.",
    retry: "Erneut versuchen",
    queued: "Gerade keine Verbindung. Ihre Antwort ist gespeichert und wird automatisch gesendet.",
    already: "Sie haben diese Umfrage bereits beantwortet – vielen Dank!",
    invalid_link: "Dieser Umfragelink ist nicht mehr gültig.",
};

const FR: Words = Words {
    question: "Quelle est la probabilité que vous nous recommandiez à un ami ou un collègue\u{a0}?",
    low: "Pas du tout probable",
    high: "Extrêmement probable",
    detractor: "Qu’est-ce qui n’a pas fonctionné\u{a0}?",
    passive: "Que faudrait-il pour mériter un 10\u{a0}?",
    promoter: "Qu’appréciez-vous le plus\u{a0}?",
    placeholder: "Votre commentaire (facultatif)",
    send: "Envoyer",
    close: "Fermer",
    thanks: "Merci pour votre avis\u{a0}!",
    error: "La réponse n’a pas pu être envoyée.",
    retry: "Réessayer",
    queued: "Pas de connexion pour le moment. Votre réponse est enregistrée et sera envoyée automatiquement.",
    already: "Vous avez déjà répondu à cette enquête – merci\u{a0}!",
    invalid_link: "Ce lien d’enquête n’est plus valide.",
};

const ES: Words = Words {
    question: "¿Qué probabilidad hay de que nos recomiende a un amigo o colega?",
    low: "Nada probable",
    high: "Extremadamente probable",
    detractor: "¿Qué salió mal?",
    passive: "¿Qué haría falta para que fuera un 10?",
    promoter: "¿Qué es lo que más le gusta?",
    placeholder: "Su comentario (opcional)",
    send: "Enviar",
    close: "Cerrar",
    thanks: "¡Gracias por su opinión!",
    error: "No se pudo enviar la respuesta.",
    retry: "Reintentar",
    queued: "Sin conexión por ahora. Su respuesta está guardada y se enviará automáticamente.",
    already: "Ya ha respondido a esta encuesta. ¡Gracias!",
    invalid_link: "Este enlace de la encuesta ya no es válido.",
};

const IT: Words = Words {
    question: "Quanto è probabile che ci raccomandi a un amico o a un collega?",
    low: "Per niente probabile",
    high: "Estremamente probabile",
    detractor: "Che cosa non è andato bene?",
    passive: "Che cosa lo renderebbe un 10?",
    promoter: "Che cosa Le piace di più?",
    placeholder: "Il Suo commento (facoltativo)",
    send: "Invia",
    close: "Chiudi",
    thanks: "Grazie per il Suo feedback!",
    error: "Non è stato possibile inviare la risposta.",
    retry: "Riprova",
    queued: "Nessuna connessione al momento. La risposta è salvata e verrà inviata automaticamente.",
    already: "Ha già risposto a questo sondaggio: grazie!",
    invalid_link: "Questo link al sondaggio non è più valido.",
};

const NL: Words = Words {
    question: "Hoe waarschijnlijk is het dat u ons aanbeveelt bij een vriend of collega?",
    low: "Zeer onwaarschijnlijk",
    high: "Zeer waarschijnlijk",
    detractor: "Wat ging er mis?",
    passive: "Wat zou er een 10 van maken?",
    promoter: "Wat vindt u het beste?",
    placeholder: "Uw opmerking (optioneel)",
    send: "Versturen",
    close: "Sluiten",
    thanks: "Bedankt voor uw feedback!",
    error: "Het antwoord kon niet worden verzonden.",
    retry: "Opnieuw proberen",
    queued: "Op dit moment geen verbinding. Uw antwoord is opgeslagen en wordt automatisch verzonden.",
    already: "U hebt deze enquête al beantwoord – hartelijk dank!",
    invalid_link: "Deze enquêtelink is niet meer geldig.",
};

const PT: Words = Words {
    question: "Qual é a probabilidade de nos recomendar a um amigo ou colega?",
    low: "Nada provável",
    high: "Extremamente provável",
    detractor: "O que podemos melhorar?",
    passive: "O que faria disto um 10?",
    promoter: "Do que mais gosta?",
    placeholder: "Seu comentário (opcional)",
    send: "Enviar",
    close: "Fechar",
    thanks: "Obrigado pelo seu feedback!",
    error: "Não foi possível enviar a resposta.",
    retry: "Tentar novamente",
    queued: "Sem conexão no momento. Sua resposta foi guardada e será enviada automaticamente.",
    already: "Já respondeu a este questionário. Obrigado!",
    invalid_link: "Este link do questionário já não é válido.",
};

const PL: Words = Words {
    question: "Jak prawdopodobne jest, że polecisz nas znajomemu lub współpracownikowi?",
    low: "Zupełnie nieprawdopodobne",
    high: "Bardzo prawdopodobne",
    detractor: "Co poszło nie tak?",
    passive: "Czego zabrakło do 10?",
    promoter: "Co podoba Ci się najbardziej?",
    placeholder: "Twój komentarz (opcjonalnie)",
    send: "Wyślij",
    close: "Zamknij",
    thanks: "Dziękujemy za opinię!",
    error: "Nie udało się wysłać odpowiedzi.",
    retry: "Spróbuj ponownie",
    queued: "Brak połączenia. Twoja odpowiedź została zapisana i zostanie wysłana automatycznie.",
    already: "Ta ankieta została już przez Ciebie wypełniona – dziękujemy!",
    invalid_link: "Ten link do ankiety jest już nieważny.",
};

const SV: Words = Words {
    question: "Hur troligt är det att du skulle rekommendera oss till en vän eller kollega?",
    low: "Inte alls troligt",
    high: "Mycket troligt",
    detractor: "Vad gick fel?",
    passive: "Vad skulle göra det till en 10:a?",
    promoter: "Vad uppskattar du mest?",
    placeholder: "Din kommentar (valfritt)",
    send: "Skicka",
    close: "Stäng",
    thanks: "Tack för din feedback!",
    error: "Svaret kunde inte skickas.",
    retry: "Försök igen",
    queued: "Ingen anslutning just nu. Ditt svar är sparat och skickas automatiskt.",
    already: "Du har redan svarat på den här enkäten – tack!",
    invalid_link: "Den här enkätlänken är inte längre giltig.",
};

const JA: Words = Words {
    question: "友人や同僚に当社をおすすめする可能性はどのくらいありますか？",
    low: "まったく可能性がない",
    high: "非常に可能性が高い",
    detractor: "どのような点にご不満がありましたか？",
    passive: "10点にするには何が必要ですか？",
    promoter: "特に気に入っている点は何ですか？",
    placeholder: "ご意見（任意）",
    send: "送信",
    close: "閉じる",
    thanks: "ご意見ありがとうございました！",
    error: "回答を送信できませんでした。",
    retry: "再試行",
    queued: "現在オフラインです。回答は保存され、接続が回復すると自動的に送信されます。",
    already: "このアンケートには既にご回答いただいています。ありがとうございました！",
    invalid_link: "このアンケートのリンクは無効になりました。",
};

const AR: Words = Words {
    question: "ما مدى احتمال أن توصي بنا لصديق أو زميل؟",
    low: "غير محتمل إطلاقًا",
    high: "محتمل للغاية",
    detractor: "ما الذي لم يكن على ما يرام؟",
    passive: "ما الذي يجعل تقييمك 10؟",
    promoter: "ما أكثر ما يعجبك؟",
    placeholder: "تعليقك (اختياري)",
    send: "إرسال",
    close: "إغلاق",
    thanks: "شكرًا لك على ملاحظاتك!",
    error: "تعذّر إرسال إجابتك.",
    retry: "إعادة المحاولة",
    queued: "لا يوجد اتصال حاليًا. تم حفظ إجابتك وسيتم إرسالها تلقائيًا.",
    already: "لقد أجبت عن هذا الاستطلاع من قبل — شكرًا لك!",
    invalid_link: "رابط هذا الاستطلاع لم يعد صالحًا.",
};

const HE: Words = Words {
    question: "עד כמה סביר שתמליצו עלינו לחבר או לעמית?",
    low: "בכלל לא סביר",
    high: "סביר מאוד",
    detractor: "מה השתבש?",
    passive: "מה היה הופך את זה ל-10?",
    promoter: "מה הכי אהבתם?",
    placeholder: "התגובה שלך (רשות)",
    send: "שליחה",
    close: "סגירה",
    thanks: "תודה על המשוב!",
    error: "לא ניתן היה לשלוח את התשובה.",
    retry: "ניסיון חוזר",
    queued: "אין חיבור כרגע. התשובה שלך נשמרה ותישלח באופן אוטומטי.",
    already: "כבר עניתם על הסקר הזה — תודה!",
    invalid_link: "הקישור לסקר הזה כבר אינו בתוקף.",
};

/// The built-in words of a language subtag (`de`, not `de-AT`); `None` for one
/// without them.
pub fn built_in(language: &str) -> Option<&'static Words> {
    Some(match language {
        "en" => &EN,
        "de" => &DE,
        "fr" => &FR,
        "es" => &ES,
        "it" => &IT,
        "nl" => &NL,
        "pt" => &PT,
        "pl" => &PL,
        "sv" => &SV,
        "ja" => &JA,
        "ar" => &AR,
        "he" => &HE,
        _ => return None,
    })
}

/// The primary language subtag of a tag, lower case: `pt-BR` → `pt`, `DE_at` → `de`
/// (an underscore, as some pages write it, separates too). Two or three letters, or
/// `None`; `iw` (the old code for Hebrew) is `he`.
pub fn language(tag: &str) -> Option<String> {
    let primary = tag.trim().split(['-', '_']).next().unwrap_or("");
    if !(2..=3).contains(&primary.len()) || !primary.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    let primary = primary.to_ascii_lowercase();
    Some(if primary == "iw" {
        "he".into()
    } else {
        primary
    })
}

/// Whether a language is written right to left.
pub fn is_rtl(language: &str) -> bool {
    matches!(language, "ar" | "he" | "fa" | "ur")
}

/// The language the widget speaks: the first of `candidates` (`data-locale`, the
/// page's `lang`, then `navigator.languages`, in that order) that it has built-in
/// words for or that is the survey's (`survey_language`, the language of the texts the
/// config came in); English when none is.
pub fn resolve<'a>(candidates: impl IntoIterator<Item = &'a str>, survey_language: &str) -> String {
    candidates
        .into_iter()
        .filter_map(language)
        .find(|l| built_in(l).is_some() || l == survey_language)
        .unwrap_or_else(|| "en".into())
}

/// A survey's own texts (`GET /v1/surveys/{id}/config` `texts`); empty ones are absent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SurveyTexts {
    pub question: String,
    pub low: String,
    pub high: String,
    pub detractor: String,
    pub passive: String,
    pub promoter: String,
    pub placeholder: String,
    pub send: String,
    pub close: String,
    pub thanks: String,
}

/// What the widget shows: the built-in words of its language, each replaced by the
/// survey's own text where the survey has one in that language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Texts {
    /// The language subtag spoken (`de`), for `lang` and the answer's `locale`.
    pub language: String,
    pub rtl: bool,
    pub question: String,
    pub low: String,
    pub high: String,
    pub detractor: String,
    pub passive: String,
    pub promoter: String,
    pub placeholder: String,
    pub send: String,
    pub close: String,
    pub thanks: String,
    pub error: &'static str,
    pub retry: &'static str,
    pub queued: &'static str,
    pub already: &'static str,
    pub invalid_link: &'static str,
}

impl Texts {
    /// The texts for `language` (as [`resolve`] gave it), with the survey's texts on
    /// top when they are in that language (`survey_language`).
    pub fn new(language: String, survey: &SurveyTexts, survey_language: &str) -> Texts {
        let words = built_in(&language).unwrap_or(&EN);
        let own = language == survey_language;
        let pick = |mine: &String, built: &'static str| {
            if own && !mine.trim().is_empty() {
                mine.clone()
            } else {
                built.to_owned()
            }
        };
        Texts {
            rtl: is_rtl(&language),
            question: pick(&survey.question, words.question),
            low: pick(&survey.low, words.low),
            high: pick(&survey.high, words.high),
            detractor: pick(&survey.detractor, words.detractor),
            passive: pick(&survey.passive, words.passive),
            promoter: pick(&survey.promoter, words.promoter),
            placeholder: pick(&survey.placeholder, words.placeholder),
            send: pick(&survey.send, words.send),
            close: pick(&survey.close, words.close),
            thanks: pick(&survey.thanks, words.thanks),
            error: words.error,
            retry: words.retry,
            queued: words.queued,
            already: words.already,
            invalid_link: words.invalid_link,
            language,
        }
    }

    pub fn follow_up(&self, category: Category) -> &str {
        match category {
            Category::Detractor => &self.detractor,
            Category::Passive => &self.passive,
            Category::Promoter => &self.promoter,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(language: &str) -> SurveyTexts {
        SurveyTexts {
            question: ["Q ", language].concat(),
            thanks: ["Danke ", language].concat(),
            ..SurveyTexts::default()
        }
    }

    #[test]
    fn every_language_has_every_word_and_no_two_share_a_question() {
        let mut questions = Vec::new();
        for language in LANGUAGES {
            let w = built_in(language).expect("built in");
            for text in [
                w.question,
                w.low,
                w.high,
                w.detractor,
                w.passive,
                w.promoter,
                w.placeholder,
                w.send,
                w.close,
                w.thanks,
                w.error,
                w.retry,
                w.queued,
                w.already,
                w.invalid_link,
            ] {
                assert!(!text.trim().is_empty(), "{language}");
            }
            assert_ne!(w.low, w.high, "{language}");
            assert!(!questions.contains(&w.question), "{language}");
            questions.push(w.question);
        }
        assert_eq!(built_in("zh"), None);
    }

    #[test]
    fn the_language_of_a_tag_is_its_primary_subtag_in_lower_case() {
        for (tag, expected) in [
            ("de", Some("de")),
            ("de-AT", Some("de")),
            ("pt-BR", Some("pt")),
            ("EN_us", Some("en")),
            (" ja ", Some("ja")),
            ("iw", Some("he")),
            ("gsw", Some("gsw")),
            ("", None),
            ("e", None),
            ("english", None),
            ("1a", None),
        ] {
            assert_eq!(language(tag).as_deref(), expected, "{tag:?}");
        }
    }

    #[test]
    fn data_locale_beats_the_page_which_beats_the_browser() {
        assert_eq!(resolve(["fr", "de", "ja"], "en"), "fr");
        assert_eq!(resolve(["", "de-CH", "ja"], "en"), "de");
        assert_eq!(resolve(["", "", "ja-JP", "en"], "en"), "ja");
    }

    #[test]
    fn a_language_nobody_speaks_is_skipped_and_english_is_the_last_resort() {
        assert_eq!(resolve(["zh", "ko", "sv-FI"], "en"), "sv");
        assert_eq!(resolve(["zh", "x"], "en"), "en");
        assert_eq!(resolve([], "de"), "en");
        // Unless the survey itself is in it.
        assert_eq!(resolve(["zh-TW", "de"], "zh"), "zh");
    }

    #[test]
    fn arabic_and_hebrew_are_right_to_left() {
        for language in ["ar", "he"] {
            assert!(Texts::new(language.into(), &SurveyTexts::default(), "en").rtl);
        }
        for language in ["en", "de", "ja"] {
            assert!(!Texts::new(language.into(), &SurveyTexts::default(), "en").rtl);
        }
    }

    #[test]
    fn survey_texts_in_the_spoken_language_override_the_built_in_ones() {
        let t = Texts::new("de".into(), &texts("de"), "de");
        assert_eq!(t.question, "Q de");
        assert_eq!(t.thanks, "Danke de");
        // What the survey leaves empty stays built in.
        assert_eq!(t.low, DE.low);
        assert_eq!(t.follow_up(Category::Passive), DE.passive);
        assert_eq!(t.error, DE.error);
    }

    #[test]
    fn survey_texts_in_another_language_are_not_mixed_in() {
        let t = Texts::new("ja".into(), &texts("en"), "en");
        assert_eq!(t.question, JA.question);
        assert_eq!(t.thanks, JA.thanks);
        assert_eq!(t.language, "ja");
    }

    #[test]
    fn a_survey_language_without_built_in_words_uses_english_for_the_rest() {
        let t = Texts::new("zh".into(), &texts("zh"), "zh");
        assert_eq!(t.question, "Q zh");
        assert_eq!(t.low, EN.low);
        assert_eq!(t.retry, EN.retry);
    }
}
