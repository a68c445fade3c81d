/** The triage workload shared by the floor and the comparison tools; mirrors runbooks/triage.yaml. */
export const TRIAGE_COMMANDS = [
  'hostname',
  'w -h',
  'ps -eo pid,user,comm --no-headers | wc -l',
  'ss -tan | wc -l',
  'sha256sum /etc/passwd',
];
