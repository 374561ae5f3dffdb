"""Online approvals, "run once at most" (issue #5, part 4).

Decisions written down here:

- A service has versioned definitions (form fields, attachments, stages of departments with
  time limits); an application keeps the version it was submitted under.
- The applicant is a citizen account acting for a company: only the company's name and unified
  social credit code (GB 32100 check character) are asked beyond the service's own fields.
- Attachments live under VAR_DIR/approvals with random names, are typed by their first bytes
  (PDF, PNG, JPEG), and are served only to the applicant and the departments on the workflow.
- Departments decide through organisation-bound `citizen.decide_approvals` roles. Outside the
  officer's area an application is missing (404); inside it, a department not on the workflow
  is refused with that reason (403).
- Escalation: each department may have one officer flagged head (DepartmentHead, set by a
  `citizen.manage_services` holder). The worker's sweep marks a pending step past its due time
  overdue and escalates it to that head (shown in the head's inbox as "escalated to you", to
  the department and the applicant as "overdue, escalated to the department head"). Without a
  head the step is still marked; a head designated later inherits the open escalations.
- Visits: the number of times the applicant had to act, 1 for the submission plus 1 for the
  (single) correction round; the public statistic is the average over approved applications
  and the share with exactly one, also published as /citizen/published/approvals-visits.json.
- The certificate's QR code carries the verification URL with the serial signed by Django's
  signing (HMAC with SECRET_KEY, its own salt): a forged or altered serial is refused without a
  database lookup; rotate SECRET_KEY with SECRET_KEY_FALLBACKS to keep printed codes valid.
"""
