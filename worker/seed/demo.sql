-- The demo survey and a month of sample answers, so the demo page and the admin API
-- have something to show. Safe to run again: nothing is duplicated or overwritten
-- except the demo survey's definition.

INSERT INTO surveys (id, definition, created_at, updated_at)
VALUES ('s_demo', json('{
  "name": "Demo shop",
  "default_locale": "en",
  "texts": {
    "en": {
      "question": "How likely are you to recommend Demo Shop to a friend or colleague?",
      "follow_up": {
        "detractor": "We are sorry. What went wrong?",
        "passive": "What would make it a 10 for you?",
        "promoter": "Great! What did you like most?"
      },
      "thanks": "Thank you! Your answer helps us improve.",
      "low_label": "Not at all likely",
      "high_label": "Extremely likely",
      "comment_placeholder": "Tell us in a few words (optional)",
      "submit": "Send",
      "dismiss": "Close"
    },
    "de": {
      "question": "Wie wahrscheinlich ist es, dass Sie Demo Shop einem Freund oder Kollegen empfehlen?",
      "follow_up": {
        "detractor": "Das tut uns leid. Was ist schiefgelaufen?",
        "passive": "Was würde es für Sie zu einer 10 machen?",
        "promoter": "Schön! Was hat Ihnen am besten gefallen?"
      },
      "thanks": "Vielen Dank! Ihre Antwort hilft uns, besser zu werden.",
      "low_label": "Überhaupt nicht wahrscheinlich",
      "high_label": "Äußerst wahrscheinlich",
      "comment_placeholder": "In wenigen Worten (optional)",
      "submit": "Senden",
      "dismiss": "Schließen"
    }
  },
  "theme": {"accent": "#0f766e", "position": "bottom-right"},
  "allowed_origins": ["http://localhost:*", "http://127.0.0.1:*"],
  "throttle": {"days": 90},
  "cases": {
    "threshold": 6,
    "sla_hours": 24,
    "default_owner": "support@shop.example",
    "owner_rules": [
      {"property": "store", "equals": "berlin", "owner": "anna@shop.example"},
      {"property": "store", "equals": "hamburg", "owner": "ben@shop.example"}
    ]
  }
}'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
ON CONFLICT (id) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at;

-- 120 answers over the last 30 days from three stores (Berlin happiest, Munich least),
-- each with the revenue, order count and recency the RFM and revenue reports read. The
-- scores follow a fixed pattern of 20 (55 % promoters, 25 % passives, 20 % detractors:
-- NPS +35, as a decent shop might have), so every run seeds the same data. Ids start with 00 so they sort before
-- (are older than) every real, time-ordered id, newest seed last.
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 120),
seed AS (
  SELECT i,
         json_extract('[10,9,8,10,9,7,3,10,9,8,6,10,9,10,7,2,9,10,8,5]',
                      '$[' || ((i * 7) % 20) || ']') AS score,
         CASE (i + i / 7) % 3 WHEN 0 THEN 'berlin' WHEN 1 THEN 'hamburg' ELSE 'munich' END AS store,
         strftime('%Y-%m-%dT%H:%M:%fZ', 'now', printf('-%d hours', i * 6)) AS at
  FROM n
)
INSERT INTO responses (id, survey_id, score, category, comment, channel, locale, page_url,
                       respondent_id, respondent_email, properties, edit_token, idempotency_key,
                       fingerprint, created_at, updated_at)
SELECT printf('r_00%024d', 100000 - i), 's_demo', score,
       CASE WHEN score <= 6 THEN 'detractor' WHEN score <= 8 THEN 'passive' ELSE 'promoter' END,
       CASE WHEN score <= 6 AND i % 2 = 0 THEN 'The delivery came late'
            WHEN score >= 9 AND i % 2 = 0 THEN 'Friendly staff and fast shipping'
            ELSE NULL END,
       CASE WHEN i % 4 = 0 THEN 'email' ELSE 'web' END,
       CASE WHEN i % 2 = 0 THEN 'de' ELSE 'en' END,
       'https://shop.example/thanks',
       printf('cust-%d', 1000 + i % 40), NULL,
       json_object('store', store, 'order_id', printf('%d', 5000 + i),
                   -- RFM and revenue bands: happier customers tend to order more.
                   'revenue', printf('%.2f', 15 + (i * 29) % 89 * 7 + score * score * 3.5),
                   'order_count', printf('%d', 1 + (i * 5) % 4 + score / 3),
                   'recency_days', printf('%d', (i * 11) % 60 + (10 - score) * 4)),
       printf('seed-edit-token-%d', i), printf('seed-%d', i), NULL, at, at
FROM seed
WHERE true
ON CONFLICT DO NOTHING;

-- A detractor case for each sample detractor: the last two days' still open, the week
-- before contacted, older ones resolved, with the timeline that got them there.
WITH seeded AS (
  SELECT r.*,
         CASE json_extract(r.properties, '$.store')
           WHEN 'berlin' THEN 'anna@shop.example'
           WHEN 'hamburg' THEN 'ben@shop.example'
           ELSE 'support@shop.example' END AS owner,
         CASE WHEN r.created_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-7 days') THEN 'resolved'
              WHEN r.created_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-2 days') THEN 'contacted'
              ELSE 'open' END AS status
  FROM responses r
  WHERE r.id LIKE 'r_00%' AND r.score <= 6
),
steps AS (
  SELECT s.*,
         json_object('at', s.created_at, 'actor', NULL, 'kind', 'opened', 'score', s.score) AS opened,
         json_object('at', strftime('%Y-%m-%dT%H:%M:%fZ', s.created_at, '+3 hours'), 'actor', s.owner,
                     'kind', 'status_changed', 'from', 'open', 'to', 'contacted') AS contacted,
         json_object('at', strftime('%Y-%m-%dT%H:%M:%fZ', s.created_at, '+20 hours'), 'actor', s.owner,
                     'kind', 'status_changed', 'from', 'contacted', 'to', 'resolved') AS resolved
  FROM seeded s
)
INSERT INTO cases (id, survey_id, response_id, score, status, owner, due_at, respondent_id,
                   respondent_email, reasked_score, timeline, created_at, updated_at)
SELECT 'c_' || substr(id, 3), survey_id, id, score, status, owner,
       strftime('%Y-%m-%dT%H:%M:%fZ', created_at, '+24 hours'), respondent_id, respondent_email, NULL,
       CASE status
         WHEN 'resolved' THEN json_array(json(opened), json(contacted), json(resolved))
         WHEN 'contacted' THEN json_array(json(opened), json(contacted))
         ELSE json_array(json(opened)) END,
       created_at,
       CASE status
         WHEN 'resolved' THEN strftime('%Y-%m-%dT%H:%M:%fZ', created_at, '+20 hours')
         WHEN 'contacted' THEN strftime('%Y-%m-%dT%H:%M:%fZ', created_at, '+3 hours')
         ELSE created_at END
FROM steps
WHERE true
ON CONFLICT DO NOTHING;

-- The demo answers' rollups (shared/src/rollup.rs), rebuilt so that running this
-- again leaves them equal to the answers.
DELETE FROM rollup_time WHERE survey_id = 's_demo';
DELETE FROM rollup_property WHERE survey_id = 's_demo';
INSERT INTO rollup_time (survey_id, quarter, flagged, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10)
SELECT survey_id, CAST(strftime('%s', created_at) AS INTEGER) / 900,
       (flagged IS NOT NULL OR provisional = 1), SUM(score = 0), SUM(score = 1), SUM(score = 2), SUM(score = 3), SUM(score = 4), SUM(score = 5), SUM(score = 6), SUM(score = 7), SUM(score = 8), SUM(score = 9), SUM(score = 10)
  FROM responses WHERE survey_id = 's_demo'
 GROUP BY 1, 2, 3;
INSERT INTO rollup_property (survey_id, key, day, value, flagged, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10)
SELECT r.survey_id, j.key, CAST(strftime('%s', r.created_at) AS INTEGER) / 86400,
       trim(j.value, char(32, 9, 10, 11, 12, 13)),
       (r.flagged IS NOT NULL OR r.provisional = 1), SUM(r.score = 0), SUM(r.score = 1), SUM(r.score = 2), SUM(r.score = 3), SUM(r.score = 4), SUM(r.score = 5), SUM(r.score = 6), SUM(r.score = 7), SUM(r.score = 8), SUM(r.score = 9), SUM(r.score = 10)
  FROM responses r, json_each(r.properties) j
 WHERE j.key NOT IN ('recency_days', 'last_order_at', 'order_count', 'revenue', 'order_id')
   AND trim(j.value, char(32, 9, 10, 11, 12, 13)) <> '' AND r.survey_id = 's_demo'
 GROUP BY 1, 2, 3, 4, 5;
