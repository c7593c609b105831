-- Answers that look like an e-mail scanner's link visit (shared/src/scanner.rs): kept,
-- with the reason, and left out of reports unless asked for.
ALTER TABLE responses ADD COLUMN flagged TEXT;
