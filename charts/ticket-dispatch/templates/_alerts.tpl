{{/*
Dispatch's own alert, beside those of every service: deadlines breached.
Dispatch has no metric of its own for them; each breach publishes
dispatch.ticket.deadline_breached through the outbox, which the relay
counts in weigrid_outbox_events_published_total{subject}.
*/}}
{{- define "ticket-dispatch.alerts" -}}
{{- $rule := .Values.metrics.prometheusRule }}
- alert: WeigridDeadlinesBreached
  expr: >-
    sum(increase(weigrid_outbox_events_published_total{ {{- include "weigrid-common.seriesSelector" . }}, subject="dispatch.ticket.deadline_breached"}[1h]))
    > {{ $rule.deadlineBreaches }}
  labels:
    severity: warning
  annotations:
    summary: "Tickets passed their deadlines"
    description: >-
      {{`{{ $value }}`}} ticket deadlines (or co-handlers' task deadlines) were breached
      within the hour and escalated up the chain; the town centre sees
      them in its overdue list.
{{- end }}
