{{/*
Prometheus Operator objects (monitoring.coreos.com/v1), off by default: a
ServiceMonitor scraping the metrics port (metrics.serviceMonitor) and a
PrometheusRule with the alerts every weigrid service needs
(metrics.prometheusRule): an outbox backlog that keeps growing, a relay that
keeps failing, events set aside as dead letters (outbox and inbox) and a
consumer falling behind. The series are selected by the namespace and
service labels the ServiceMonitor's targets carry, so they are this
release's only.
Usage, as the whole of the service chart's templates/servicemonitor.yaml
and templates/prometheusrule.yaml:
  {{ include "weigrid-common.serviceMonitor" . }}
  {{ include "weigrid-common.prometheusRule" (list .) }}
A service with alerts of its own names the template rendering them, a list
of rules: (list . "ticket-dispatch.alerts").
*/}}
{{- define "weigrid-common.serviceMonitor" -}}
{{- with .Values.metrics.serviceMonitor }}
{{- if .enabled }}
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ include "weigrid-common.fullname" $ }}
  namespace: {{ $.Release.Namespace }}
  labels:
    {{- include "weigrid-common.labels" $ | nindent 4 }}
    {{- with .labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  selector:
    matchLabels:
      {{- include "weigrid-common.selectorLabels" $ | nindent 6 }}
  namespaceSelector:
    matchNames:
      - {{ $.Release.Namespace }}
  endpoints:
    # Plain HTTP even with grpc.tls: the metrics listener is its own.
    - port: metrics
      path: {{ $.Values.metrics.path }}
      interval: {{ .interval }}
      scrapeTimeout: {{ .scrapeTimeout }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The PromQL label matchers of this release's series.
*/}}
{{- define "weigrid-common.seriesSelector" -}}
namespace="{{ .Release.Namespace }}", service="{{ include "weigrid-common.fullname" . }}"
{{- end }}

{{- define "weigrid-common.prometheusRule" -}}
{{- $root := index . 0 }}
{{- $extra := "" }}
{{- if gt (len .) 1 }}
{{- $extra = index . 1 }}
{{- end }}
{{- with $root }}
{{- $rule := .Values.metrics.prometheusRule }}
{{- if $rule.enabled }}
{{- $selector := include "weigrid-common.seriesSelector" . }}
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: {{ include "weigrid-common.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "weigrid-common.labels" . | nindent 4 }}
    {{- with $rule.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  groups:
    - name: {{ include "weigrid-common.fullname" . }}
      rules:
        # Writes go on into the outbox while NATS is away; a backlog that
        # only grows means nothing leaves it.
        - alert: WeigridOutboxBacklogGrowing
          expr: >-
            weigrid_outbox_pending_events{ {{- $selector -}} } > {{ $rule.outboxBacklog }}
            and deriv(weigrid_outbox_pending_events{ {{- $selector -}} }[15m]) > 0
          for: 15m
          labels:
            severity: warning
          annotations:
            summary: {{ printf "%s's outbox backlog keeps growing" .Chart.Name | quote }}
            description: >-
              {{`{{ $value }}`}} events wait in the outbox of {{`{{ $labels.pod }}`}} and more keep
              coming: NATS is unreachable or refuses them. Other services see
              none of these changes until they are published.
        - alert: WeigridOutboxRelayFailing
          expr: increase(weigrid_outbox_relay_errors_total{ {{- $selector -}} }[10m]) > 0
          for: 10m
          labels:
            severity: warning
          annotations:
            summary: {{ printf "%s's outbox relay keeps failing" .Chart.Name | quote }}
            description: >-
              The outbox relay of {{`{{ $labels.pod }}`}} has failed for 10 minutes:
              NATS or PostgreSQL is unreachable from it.
        - alert: WeigridOutboxDeadLetters
          expr: increase(weigrid_outbox_dead_letters_total{ {{- $selector -}} }[1h]) > 0
          labels:
            severity: critical
          annotations:
            summary: {{ printf "%s set events aside that NATS refused" .Chart.Name | quote }}
            description: >-
              {{`{{ $value }}`}} outbox events NATS refused for good were set aside
              unpublished within the hour (table outbox_dead_letters): no other
              service will see them until they are dealt with.
        - alert: WeigridInboxDeadLetters
          expr: increase(weigrid_inbox_dead_letters_total{ {{- $selector -}} }[1h]) > 0
          labels:
            severity: critical
          annotations:
            summary: {{ printf "%s set incoming events aside" .Chart.Name | quote }}
            description: >-
              Consumer {{`{{ $labels.consumer }}`}} set {{`{{ $value }}`}} events aside within
              the hour without applying them (table inbox_dead_letters): they
              could not be decoded or kept failing.
        - alert: WeigridConsumerLagging
          expr: weigrid_consumer_pending_events{ {{- $selector -}} } > {{ $rule.consumerLag }}
          for: 10m
          labels:
            severity: warning
          annotations:
            summary: {{ printf "%s's consumer falls behind its stream" .Chart.Name | quote }}
            description: >-
              {{`{{ $value }}`}} events wait in JetStream for consumer
              {{`{{ $labels.consumer }}`}}, as of the last event it received.
        {{- with $extra }}
        {{- include . $root | trim | nindent 8 }}
        {{- end }}
{{- end }}
{{- end }}
{{- end }}
