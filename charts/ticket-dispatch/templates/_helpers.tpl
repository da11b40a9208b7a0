{{/*
The chart name, or nameOverride.
*/}}
{{- define "ticket-dispatch.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The full name of the release's resources: fullnameOverride, else the release
name followed by the chart name unless it already contains it. Truncated to
63 characters, the limit of a DNS label.
*/}}
{{- define "ticket-dispatch.fullname" -}}
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
{{- define "ticket-dispatch.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels on every resource.
*/}}
{{- define "ticket-dispatch.labels" -}}
helm.sh/chart: {{ include "ticket-dispatch.chart" . }}
{{ include "ticket-dispatch.selectorLabels" . }}
app.kubernetes.io/version: {{ include "ticket-dispatch.imageTag" . | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/component: api
app.kubernetes.io/part-of: weigrid
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Labels that select the release's pods; they never change after install.
*/}}
{{- define "ticket-dispatch.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ticket-dispatch.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
The ServiceAccount the pods run as.
*/}}
{{- define "ticket-dispatch.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "ticket-dispatch.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
A shared value from .Values.global, or "" when unset: dig walks nested maps
without failing on a missing level.
Usage: include "ticket-dispatch.global" (list . "nats" "url")
*/}}
{{- define "ticket-dispatch.global" -}}
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
{{- define "ticket-dispatch.imageTag" -}}
{{- $global := include "ticket-dispatch.global" (list . "imageTag") }}
{{- $global | default .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/*
The image reference, pinned by digest when one is given.
*/}}
{{- define "ticket-dispatch.image" -}}
{{- $ref := printf "%s:%s" .Values.image.repository (include "ticket-dispatch.imageTag" .) }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" $ref .Values.image.digest }}
{{- else }}
{{- $ref }}
{{- end }}
{{- end }}

{{/*
Pull secrets: the chart's own followed by the shared ones, without repeats.
*/}}
{{- define "ticket-dispatch.imagePullSecrets" -}}
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
{{- define "ticket-dispatch.natsUrl" -}}
{{- include "ticket-dispatch.global" (list . "nats" "url") | default .Values.nats.url }}
{{- end }}

{{- define "ticket-dispatch.authMode" -}}
{{- $mode := include "ticket-dispatch.global" (list . "auth" "mode") | default .Values.auth.mode }}
{{- if not (has $mode (list "jwt" "dev")) }}
{{- fail (printf "auth.mode must be \"jwt\" or \"dev\", not %q" $mode) }}
{{- end }}
{{- $mode }}
{{- end }}

{{- define "ticket-dispatch.authIssuer" -}}
{{- include "ticket-dispatch.global" (list . "auth" "issuer") | default .Values.auth.issuer }}
{{- end }}

{{- define "ticket-dispatch.authPublicKeySecret" -}}
{{- include "ticket-dispatch.global" (list . "auth" "publicKeySecret") | default .Values.auth.publicKey.existingSecret | required "auth.publicKey.existingSecret must name a Secret when auth.mode is \"jwt\"" }}
{{- end }}

{{- define "ticket-dispatch.telemetryFormat" -}}
{{- $format := include "ticket-dispatch.global" (list . "telemetry" "format") | default .Values.telemetry.format }}
{{- if not (has $format (list "json" "pretty")) }}
{{- fail (printf "telemetry.format must be \"json\" or \"pretty\", not %q" $format) }}
{{- end }}
{{- $format }}
{{- end }}

{{- define "ticket-dispatch.otlpEndpoint" -}}
{{- include "ticket-dispatch.global" (list . "telemetry" "otlpEndpoint") | default .Values.telemetry.otlpEndpoint }}
{{- end }}

{{/*
Names of the Secrets the pods read.
*/}}
{{- define "ticket-dispatch.databaseSecret" -}}
{{- .Values.database.existingSecret | default (printf "%s-database" (include "ticket-dispatch.fullname" .)) }}
{{- end }}

{{- define "ticket-dispatch.tlsSecret" -}}
{{- .Values.grpc.tls.existingSecret | default (printf "%s-tls" (include "ticket-dispatch.fullname" .)) }}
{{- end }}

{{- define "ticket-dispatch.registryTlsSecret" -}}
{{- .Values.clients.registry.tls.existingSecret | default (printf "%s-registry-client-tls" (include "ticket-dispatch.fullname" .)) }}
{{- end }}

{{/*
The grid registry's endpoint, rendered as a template (the umbrella chart
derives it from the release name). With client TLS it must be https://: an
http:// endpoint would be dialled in plain text despite the TLS settings.
*/}}
{{- define "ticket-dispatch.registryEndpoint" -}}
{{- $endpoint := tpl (.Values.clients.registry.endpoint | required "clients.registry.endpoint must name the grid registry's gRPC endpoint") . }}
{{- if not (or (hasPrefix "http://" $endpoint) (hasPrefix "https://" $endpoint)) }}
{{- fail (printf "clients.registry.endpoint must be an http:// or https:// URL, not %q" $endpoint) }}
{{- end }}
{{- if and .Values.clients.registry.tls.enabled (not (hasPrefix "https://" $endpoint)) }}
{{- fail (printf "clients.registry.endpoint must be https:// when clients.registry.tls.enabled, not %q" $endpoint) }}
{{- end }}
{{- $endpoint }}
{{- end }}

{{/*
The name the registry's certificate must carry: clients.registry.tls.domain
(rendered as a template), else the endpoint's host name.
*/}}
{{- define "ticket-dispatch.registryTlsDomain" -}}
{{- with .Values.clients.registry.tls.domain }}
{{- tpl . $ }}
{{- else }}
{{- (urlParse (include "ticket-dispatch.registryEndpoint" .)).hostname }}
{{- end }}
{{- end }}

{{/*
Whether the pods present a client certificate to the registry; certKey and
keyKey go together.
*/}}
{{- define "ticket-dispatch.registryClientCert" -}}
{{- $tls := .Values.clients.registry.tls }}
{{- if ne (empty $tls.certKey) (empty $tls.keyKey) }}
{{- fail "clients.registry.tls.certKey and keyKey must be set together" }}
{{- end }}
{{- if $tls.certKey }}true{{ end }}
{{- end }}

{{/*
A probe's check: native gRPC health on the gRPC port, or a TCP check of that
port when the server speaks TLS (the kubelet's gRPC probe is plain text only).
Usage: include "ticket-dispatch.probeCheck" (list . .Values.probes.readiness)
*/}}
{{- define "ticket-dispatch.probeCheck" -}}
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
