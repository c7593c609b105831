-- Root causes and the playbook (issue 15): a case is resolved with the key of one of
-- its survey's causes and the solution offered; the playbook groups resolved cases of
-- a cause by the solution's normalised text (`solution_key`, lower-cased in full
-- Unicode by the worker, `nps_shared::cause::solution_key`) and counts how often the
-- customer's next answer was a promoter's (`reasked_score >= 9`).
ALTER TABLE cases ADD COLUMN cause TEXT;
ALTER TABLE cases ADD COLUMN solution TEXT;
ALTER TABLE cases ADD COLUMN solution_key TEXT;

-- One GROUP BY over the cases of one cause, read in solution_key order from this
-- index (no sort for the grouping); only cases with a solution are in it.
CREATE INDEX cases_by_cause_solution ON cases (cause, solution_key, status, survey_id, reasked_score)
  WHERE solution_key IS NOT NULL;
