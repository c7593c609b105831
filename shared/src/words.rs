//! The built-in words of a survey in twelve languages, and how they become the
//! defaults of every survey text.
//!
//! Every string the widget can show has a built-in translation (the question, the
//! labelled ends of the scale, the follow-up question per category, send, close,
//! thanks, and the lines for a failure, a queued answer, a repeated answer and an
//! expired link). They are used in two places:
//! - when a survey is created or its texts change ([`complete`]): a survey given only a
//!   `name` gets texts in its default language and in every built-in language, the
//!   question naming the brand (the survey's name); a language whose texts are partly
//!   given has the rest filled from that language's built-in words;
//! - when the widget asks for a survey's config ([`config_words`]): the worker sends
//!   the one language it chose, the survey's texts in it or the built-in words, with
//!   the widget's own lines and the text direction. The widget carries no tables.
//!
//! Pure: only [`crate::api`] types and [`crate::locale`] (a tag's language and
//! direction), no I/O.

use crate::api::{Messages, SurveyDefinition, SurveyTexts, TextDirection};

/// The languages with built-in words, by their primary language subtag.
pub const LANGUAGES: [&str; 12] = [
    "en", "de", "fr", "es", "it", "nl", "pt", "pl", "sv", "ja", "ar", "he",
];

/// Every string the widget shows, in one language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Words {
    /// The question that names no one ("recommend us"): for a survey that has texts
    /// of its own, but not in the visitor's language.
    pub question: &'static str,
    /// The question naming the brand: `{brand}` stands for the survey's name.
    pub brand_question: &'static str,
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
    brand_question: "How likely are you to recommend {brand} to a friend or colleague?",
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
    brand_question: "Wie wahrscheinlich ist es, dass Sie {brand} einem Freund oder Kollegen empfehlen?",
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
    brand_question: "Quelle est la probabilité que vous recommandiez {brand} à un ami ou un collègue\u{a0}?",
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
    brand_question: "¿Qué probabilidad hay de que recomiende {brand} a un amigo o colega?",
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
    brand_question: "Quanto è probabile che raccomandi {brand} a un amico o a un collega?",
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
    brand_question: "Hoe waarschijnlijk is het dat u {brand} aanbeveelt bij een vriend of collega?",
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
    brand_question: "Qual é a probabilidade de recomendar {brand} a um amigo ou colega?",
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
    brand_question: "Jak prawdopodobne jest, że polecisz {brand} znajomemu lub współpracownikowi?",
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
    brand_question: "Hur troligt är det att du skulle rekommendera {brand} till en vän eller kollega?",
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
    brand_question: "友人や同僚に{brand}をおすすめする可能性はどのくらいありますか？",
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
    brand_question: "ما مدى احتمال أن توصي بـ {brand} لصديق أو زميل؟",
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
    brand_question: "עד כמה סביר שתמליצו על {brand} לחבר או לעמית?",
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

/// The built-in words of a locale tag's language (`de-AT` → German); `None` for a
/// language without them.
pub fn built_in(tag: &str) -> Option<&'static Words> {
    Some(match language(tag)?.as_str() {
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

/// The primary language subtag of a tag, lower case: `locale::language`, here where
/// it has always been found.
pub use crate::locale::language;

/// How a locale tag's language is written ([`crate::locale::is_rtl`]).
pub fn direction(tag: &str) -> TextDirection {
    if crate::locale::is_rtl(tag) {
        TextDirection::Rtl
    } else {
        TextDirection::Ltr
    }
}

impl Words {
    /// These words as a survey's texts; the question names `brand` when there is one,
    /// else no one.
    pub fn texts(&self, brand: Option<&str>) -> SurveyTexts {
        let question = match brand.map(str::trim).filter(|b| !b.is_empty()) {
            Some(brand) => self.brand_question.replace("{brand}", brand),
            None => self.question.to_owned(),
        };
        SurveyTexts {
            question,
            follow_up: crate::api::FollowUp {
                detractor: self.detractor.into(),
                passive: self.passive.into(),
                promoter: self.promoter.into(),
            },
            thanks: self.thanks.into(),
            low_label: self.low.into(),
            high_label: self.high.into(),
            comment_placeholder: self.placeholder.into(),
            submit: self.send.into(),
            dismiss: self.close.into(),
        }
    }

    /// The widget's own lines, which no survey words differently.
    pub fn messages(&self) -> Messages {
        Messages {
            error: self.error.into(),
            retry: self.retry.into(),
            queued: self.queued.into(),
            already_answered: self.already.into(),
            invalid_link: self.invalid_link.into(),
        }
    }
}

/// Fills the blank texts of `texts` from `defaults`; what is given stays.
pub fn fill(texts: &mut SurveyTexts, defaults: SurveyTexts) {
    let pairs = [
        (&mut texts.question, defaults.question),
        (&mut texts.follow_up.detractor, defaults.follow_up.detractor),
        (&mut texts.follow_up.passive, defaults.follow_up.passive),
        (&mut texts.follow_up.promoter, defaults.follow_up.promoter),
        (&mut texts.thanks, defaults.thanks),
        (&mut texts.low_label, defaults.low_label),
        (&mut texts.high_label, defaults.high_label),
        (&mut texts.comment_placeholder, defaults.comment_placeholder),
        (&mut texts.submit, defaults.submit),
        (&mut texts.dismiss, defaults.dismiss),
    ];
    for (text, default) in pairs {
        if text.trim().is_empty() {
            *text = default;
        }
    }
}

/// Makes the built-in words the defaults of a survey's texts (before it is checked
/// and stored): without texts it gets its default language and every built-in one,
/// the question naming the brand (its `name`); a language partly given is filled from
/// its built-in words. A language without built-in words keeps its blanks, for the
/// check to name.
pub fn complete(definition: &mut SurveyDefinition) {
    let brand = Some(definition.name.as_str());
    if definition.texts.is_empty() {
        let tags = std::iter::once(definition.default_locale.as_str()).chain(LANGUAGES);
        for tag in tags {
            if !definition.texts.contains_key(tag) {
                definition
                    .texts
                    .insert(tag.to_owned(), SurveyTexts::default());
            }
        }
    }
    for (tag, texts) in &mut definition.texts {
        if let Some(words) = built_in(tag) {
            fill(texts, words.texts(brand));
        }
    }
}

/// Every word the widget shows in the locale `chosen`: the survey's texts in it
/// (`own`, blanks filled from the built-in words) or, without them, the built-in
/// words; the widget's own lines of that language (English for a language without
/// built-in words); and its text direction.
pub fn config_words(
    chosen: &str,
    own: Option<&SurveyTexts>,
) -> (SurveyTexts, Messages, TextDirection) {
    let words = built_in(chosen).unwrap_or(&EN);
    let texts = match own {
        Some(own) => {
            let mut texts = own.clone();
            fill(&mut texts, words.texts(None));
            texts
        }
        None => words.texts(None),
    };
    (texts, words.messages(), direction(chosen))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::SurveyDefinition;

    fn named(name: &str, default_locale: &str) -> SurveyDefinition {
        serde_json::from_value(serde_json::json!({
            "name": name,
            "default_locale": default_locale,
        }))
        .expect("a name is a definition")
    }

    #[test]
    fn every_language_has_every_word_and_no_two_share_a_question() {
        let mut questions = Vec::new();
        for language in LANGUAGES {
            let w = built_in(language).expect("built in");
            for text in [
                w.question,
                w.brand_question,
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
            assert_eq!(w.brand_question.matches("{brand}").count(), 1, "{language}");
            assert!(!w.question.contains('{'), "{language}");
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
        assert_eq!(built_in("de-CH"), Some(&DE));
    }

    #[test]
    fn arabic_and_hebrew_are_right_to_left() {
        for tag in ["ar", "he-IL", "iw"] {
            assert_eq!(direction(tag), TextDirection::Rtl, "{tag}");
        }
        for tag in ["en", "de", "ja", "x"] {
            assert_eq!(direction(tag), TextDirection::Ltr, "{tag}");
        }
    }

    #[test]
    fn a_survey_with_only_a_name_asks_in_its_language_and_every_built_in_one_naming_the_brand() {
        let mut d = named("Acme", "de-CH");
        complete(&mut d);
        assert_eq!(d.texts.len(), 13, "de-CH and the twelve");
        assert_eq!(
            d.texts["de-CH"].question,
            "Wie wahrscheinlich ist es, dass Sie Acme einem Freund oder Kollegen empfehlen?"
        );
        assert_eq!(d.texts["de-CH"], d.texts["de"]);
        assert_eq!(
            d.texts["en"].question,
            "How likely are you to recommend Acme to a friend or colleague?"
        );
        assert_eq!(d.texts["ja"].submit, JA.send);
        assert!(d.texts.values().all(|t| !t.question.contains("{brand}")));
    }

    #[test]
    fn given_texts_win_and_their_blanks_are_filled_from_their_language() {
        let mut d = named("Acme", "fr");
        let fr = SurveyTexts {
            thanks: "Merci beaucoup".into(),
            follow_up: crate::api::FollowUp {
                passive: "Et pour un 10 ?".into(),
                ..Default::default()
            },
            ..Default::default()
        };
        d.texts.insert("fr".into(), fr);
        complete(&mut d);
        assert_eq!(d.texts.len(), 1, "given texts add no languages");
        let fr = &d.texts["fr"];
        assert_eq!(fr.thanks, "Merci beaucoup");
        assert_eq!(fr.follow_up.passive, "Et pour un 10 ?");
        assert_eq!(fr.follow_up.promoter, FR.promoter);
        assert_eq!(fr.low_label, FR.low);
        assert!(fr.question.contains("recommandiez Acme"));
    }

    #[test]
    fn a_language_without_built_in_words_keeps_its_blanks() {
        let mut d = named("Acme", "zh");
        complete(&mut d);
        assert_eq!(d.texts["zh"], SurveyTexts::default());
        assert_eq!(d.texts["en"].submit, "Send");
    }

    #[test]
    fn the_config_words_are_the_surveys_own_else_the_built_in_ones_of_that_language() {
        let own = EN.texts(Some("Acme"));
        let (texts, messages, dir) = config_words("en-GB", Some(&own));
        assert_eq!(texts, own);
        assert_eq!(messages.retry, "Try again");
        assert_eq!(dir, TextDirection::Ltr);

        let (texts, messages, dir) = config_words("ar", None);
        assert_eq!(texts.question, AR.question);
        assert_eq!(messages.queued, AR.queued);
        assert_eq!(dir, TextDirection::Rtl);

        // A survey's own language without built-in words: its texts, English lines.
        let zh = SurveyTexts {
            question: "问题".into(),
            ..EN.texts(None)
        };
        let (texts, messages, _) = config_words("zh", Some(&zh));
        assert_eq!(texts.question, "问题");
        assert_eq!(messages.invalid_link, EN.invalid_link);
    }
}
