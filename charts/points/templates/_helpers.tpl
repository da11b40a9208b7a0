{{/*
The chart name, or nameOverride.
*/}}
{{- define "points.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The full name of the release's resources: fullnameOverride, else the release
name followed by the chart name unless it already contains it. Truncated to
63 characters, the limit of a DNS label.
*/}}
{{- define "points.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The chart label: name and version.
*/}}
{{- define "points.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels on every resource.
*/}}
{{- define "points.labels" -}}
helm.sh/chart: {{ include "points.chart" . }}
{{ include "points.selectorLabels" . }}
app.kubernetes.io/version: {{ include "points.imageTag" . | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/component: api
app.kubernetes.io/part-of: weigrid
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Labels that select the release's pods; they never change after install.
*/}}
{{- define "points.selectorLabels" -}}
app.kubernetes.io/name: {{ include "points.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
The ServiceAccount the pods run as.
*/}}
{{- define "points.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "points.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
A shared value from .Values.global, or "" when unset: dig walks nested maps
without failing on a missing level.
Usage: include "points.global" (list . "nats" "url")
*/}}
{{- define "points.global" -}}
{{- $root := index . 0 }}
{{- $keys := rest . }}
{{- $global := $root.Values.global | default dict }}
{{- if eq (len $keys) 1 }}
{{- dig (index $keys 0) "" $global }}
{{- else if eq (len $keys) 2 }}
{{- dig (index $keys 0) (index $keys 1) "" $global }}
{{- end }}
{{- end }}

{{/*
The image tag: global.imageTag, else image.tag, else the chart's appVersion.
*/}}
{{- define "points.imageTag" -}}
{{- $global := include "points.global" (list . "imageTag") }}
{{- $global | default .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/*
The image reference, pinned by digest when one is given.
*/}}
{{- define "points.image" -}}
{{- $ref := printf "%s:%s" .Values.image.repository (include "points.imageTag" .) }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" $ref .Values.image.digest }}
{{- else }}
{{- $ref }}
{{- end }}
{{- end }}

{{/*
Pull secrets: the chart's own followed by the shared ones, without repeats.
*/}}
{{- define "points.imagePullSecrets" -}}
{{- $global := .Values.global | default dict }}
{{- $all := concat (.Values.imagePullSecrets | default list) ($global.imagePullSecrets | default list) | uniq }}
{{- with $all }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
Effective settings: a non-empty shared value wins over the chart's own.
*/}}
{{- define "points.natsUrl" -}}
{{- include "points.global" (list . "nats" "url") | default .Values.nats.url }}
{{- end }}

{{- define "points.authMode" -}}
{{- $mode := include "points.global" (list . "auth" "mode") | default .Values.auth.mode }}
{{- if not (has $mode (list "jwt" "dev")) }}
{{- fail (printf "auth.mode must be \"jwt\" or \"dev\", not %q" $mode) }}
{{- end }}
{{- $mode }}
{{- end }}

{{- define "points.authIssuer" -}}
{{- include "points.global" (list . "auth" "issuer") | default .Values.auth.issuer }}
{{- end }}

{{- define "points.authPublicKeySecret" -}}
{{- include "points.global" (list . "auth" "publicKeySecret") | default .Values.auth.publicKey.existingSecret | required "auth.publicKey.existingSecret must name a Secret when auth.mode is \"jwt\"" }}
{{- end }}

{{- define "points.telemetryFormat" -}}
{{- $format := include "points.global" (list . "telemetry" "format") | default .Values.telemetry.format }}
{{- if not (has $format (list "json" "pretty")) }}
{{- fail (printf "telemetry.format must be \"json\" or \"pretty\", not %q" $format) }}
{{- end }}
{{- $format }}
{{- end }}

{{- define "points.otlpEndpoint" -}}
{{- include "points.global" (list . "telemetry" "otlpEndpoint") | default .Values.telemetry.otlpEndpoint }}
{{- end }}

{{/*
Names of the Secrets the pods read.
*/}}
{{- define "points.databaseSecret" -}}
{{- .Values.database.existingSecret | default (printf "%s-database" (include "points.fullname" .)) }}
{{- end }}

{{- define "points.tlsSecret" -}}
{{- .Values.grpc.tls.existingSecret | default (printf "%s-tls" (include "points.fullname" .)) }}
{{- end }}

{{/*
The points rules (expiry, caps, duplicates) the ConfigMap passes on: whole
positive numbers of months and points, a monthly cap no lower than the daily
one, a positive radius and a window. Renders nothing; fails on a bad value.
*/}}
{{- define "points.checkRules" -}}
{{- range $key, $value := dict "expiry.months" .Values.expiry.months "caps.daily" .Values.caps.daily "caps.monthly" .Values.caps.monthly }}
{{- if not (and (or (kindIs "float64" $value) (kindIs "int64" $value) (kindIs "int" $value)) (eq (float64 $value) (float64 (int64 $value))) (gt (int64 $value) 0)) }}
{{- fail (printf "%s must be a whole number above 0, not %v" $key $value) }}
{{- end }}
{{- end }}
{{- if lt (int64 .Values.caps.monthly) (int64 .Values.caps.daily) }}
{{- fail (printf "caps.monthly (%v) must be at least caps.daily (%v)" .Values.caps.monthly .Values.caps.daily) }}
{{- end }}
{{- $radius := .Values.duplicates.radiusM }}
{{- if not (and (or (kindIs "float64" $radius) (kindIs "int64" $radius) (kindIs "int" $radius)) (gt (float64 $radius) 0.0)) }}
{{- fail (printf "duplicates.radiusM must be a number of metres above 0, not %v" $radius) }}
{{- end }}
{{- if not .Values.duplicates.window }}
{{- fail "duplicates.window must be a duration such as \"72h\"" }}
{{- end }}
{{- end }}

{{/*
A probe's check: native gRPC health on the gRPC port, or a TCP check of that
port when the server speaks TLS (the kubelet's gRPC probe is plain text only).
Usage: include "points.probeCheck" (list . .Values.probes.readiness)
*/}}
{{- define "points.probeCheck" -}}
{{- $root := index . 0 }}
{{- $probe := index . 1 }}
{{- if $root.Values.grpc.tls.enabled }}
tcpSocket:
  port: grpc
{{- else }}
grpc:
  port: {{ $root.Values.grpc.port }}
  service: {{ $probe.service | quote }}
{{- end }}
periodSeconds: {{ $probe.periodSeconds }}
timeoutSeconds: {{ $probe.timeoutSeconds }}
failureThreshold: {{ $probe.failureThreshold }}
{{- with $probe.successThreshold }}
successThreshold: {{ . }}
{{- end }}
{{- end }}
