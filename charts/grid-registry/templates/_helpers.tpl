{{/*
The chart name, or nameOverride.
*/}}
{{- define "grid-registry.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The full name of the release's resources: fullnameOverride, else the release
name followed by the chart name unless it already contains it. Truncated to
63 characters, the limit of a DNS label.
*/}}
{{- define "grid-registry.fullname" -}}
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
{{- define "grid-registry.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels on every resource.
*/}}
{{- define "grid-registry.labels" -}}
helm.sh/chart: {{ include "grid-registry.chart" . }}
{{ include "grid-registry.selectorLabels" . }}
app.kubernetes.io/version: {{ include "grid-registry.imageTag" . | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/component: api
app.kubernetes.io/part-of: weigrid
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Labels that select the release's pods; they never change after install.
*/}}
{{- define "grid-registry.selectorLabels" -}}
app.kubernetes.io/name: {{ include "grid-registry.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
The ServiceAccount the pods run as.
*/}}
{{- define "grid-registry.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "grid-registry.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
A shared value from .Values.global, or "" when unset: dig walks nested maps
without failing on a missing level.
Usage: include "grid-registry.global" (list . "nats" "url")
*/}}
{{- define "grid-registry.global" -}}
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
{{- define "grid-registry.imageTag" -}}
{{- $global := include "grid-registry.global" (list . "imageTag") }}
{{- $global | default .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/*
The image reference, pinned by digest when one is given.
*/}}
{{- define "grid-registry.image" -}}
{{- $ref := printf "%s:%s" .Values.image.repository (include "grid-registry.imageTag" .) }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" $ref .Values.image.digest }}
{{- else }}
{{- $ref }}
{{- end }}
{{- end }}

{{/*
Pull secrets: the chart's own followed by the shared ones, without repeats.
*/}}
{{- define "grid-registry.imagePullSecrets" -}}
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
{{- define "grid-registry.natsUrl" -}}
{{- include "grid-registry.global" (list . "nats" "url") | default .Values.nats.url }}
{{- end }}

{{- define "grid-registry.authMode" -}}
{{- $mode := include "grid-registry.global" (list . "auth" "mode") | default .Values.auth.mode }}
{{- if not (has $mode (list "jwt" "dev")) }}
{{- fail (printf "auth.mode must be \"jwt\" or \"dev\", not %q" $mode) }}
{{- end }}
{{- $mode }}
{{- end }}

{{- define "grid-registry.authIssuer" -}}
{{- include "grid-registry.global" (list . "auth" "issuer") | default .Values.auth.issuer }}
{{- end }}

{{- define "grid-registry.authPublicKeySecret" -}}
{{- include "grid-registry.global" (list . "auth" "publicKeySecret") | default .Values.auth.publicKey.existingSecret | required "auth.publicKey.existingSecret must name a Secret when auth.mode is \"jwt\"" }}
{{- end }}

{{- define "grid-registry.telemetryFormat" -}}
{{- $format := include "grid-registry.global" (list . "telemetry" "format") | default .Values.telemetry.format }}
{{- if not (has $format (list "json" "pretty")) }}
{{- fail (printf "telemetry.format must be \"json\" or \"pretty\", not %q" $format) }}
{{- end }}
{{- $format }}
{{- end }}

{{- define "grid-registry.otlpEndpoint" -}}
{{- include "grid-registry.global" (list . "telemetry" "otlpEndpoint") | default .Values.telemetry.otlpEndpoint }}
{{- end }}

{{/*
Names of the Secrets the pods read.
*/}}
{{- define "grid-registry.databaseSecret" -}}
{{- .Values.database.existingSecret | default (printf "%s-database" (include "grid-registry.fullname" .)) }}
{{- end }}

{{- define "grid-registry.tlsSecret" -}}
{{- .Values.grpc.tls.existingSecret | default (printf "%s-tls" (include "grid-registry.fullname" .)) }}
{{- end }}

{{/*
A probe's check: native gRPC health on the gRPC port, or a TCP check of that
port when the server speaks TLS (the kubelet's gRPC probe is plain text only).
Usage: include "grid-registry.probeCheck" (list . .Values.probes.readiness)
*/}}
{{- define "grid-registry.probeCheck" -}}
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
