{{/*
Effective settings: the chart's values, with a non-empty value from
.Values.global (the umbrella chart's shared settings) winning.
*/}}

{{/*
A shared value from .Values.global, or "" when unset: dig walks nested maps
without failing on a missing level.
Usage: include "weigrid-common.global" (list . "nats" "url")
*/}}
{{- define "weigrid-common.global" -}}
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
{{- define "weigrid-common.imageTag" -}}
{{- $global := include "weigrid-common.global" (list . "imageTag") }}
{{- $global | default .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/*
The image reference, pinned by digest when one is given.
*/}}
{{- define "weigrid-common.image" -}}
{{- $ref := printf "%s:%s" .Values.image.repository (include "weigrid-common.imageTag" .) }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" $ref .Values.image.digest }}
{{- else }}
{{- $ref }}
{{- end }}
{{- end }}

{{/*
Pull secrets: the chart's own followed by the shared ones, without repeats.
*/}}
{{- define "weigrid-common.imagePullSecrets" -}}
{{- $global := .Values.global | default dict }}
{{- $all := concat (.Values.imagePullSecrets | default list) ($global.imagePullSecrets | default list) | uniq }}
{{- with $all }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{- define "weigrid-common.natsUrl" -}}
{{- include "weigrid-common.global" (list . "nats" "url") | default .Values.nats.url }}
{{- end }}

{{/*
How callers are authenticated: "jwt", tokens of the district's identity
provider. "dev" (development tokens, signed with a secret anyone can read in
the repository) is refused: the services accept it only with a loopback
grpc.listen, which a pod serving its Service never has.
*/}}
{{- define "weigrid-common.authMode" -}}
{{- $mode := include "weigrid-common.global" (list . "auth" "mode") | default .Values.auth.mode }}
{{- if eq $mode "dev" }}
{{- fail "auth.mode \"dev\" (development tokens) is for one machine (make run), never a cluster: the services refuse it unless grpc.listen is a loopback address, which a pod's is not; use \"jwt\" with the identity provider's public key (auth.publicKey)" }}
{{- end }}
{{- if ne $mode "jwt" }}
{{- fail (printf "auth.mode must be \"jwt\", not %q" $mode) }}
{{- end }}
{{- $mode }}
{{- end }}

{{- define "weigrid-common.authIssuer" -}}
{{- include "weigrid-common.global" (list . "auth" "issuer") | default .Values.auth.issuer }}
{{- end }}

{{- define "weigrid-common.authPublicKeySecret" -}}
{{- include "weigrid-common.global" (list . "auth" "publicKeySecret") | default .Values.auth.publicKey.existingSecret | required "auth.publicKey.existingSecret must name a Secret when auth.mode is \"jwt\"" }}
{{- end }}

{{- define "weigrid-common.telemetryFormat" -}}
{{- $format := include "weigrid-common.global" (list . "telemetry" "format") | default .Values.telemetry.format }}
{{- if not (has $format (list "json" "pretty")) }}
{{- fail (printf "telemetry.format must be \"json\" or \"pretty\", not %q" $format) }}
{{- end }}
{{- $format }}
{{- end }}

{{- define "weigrid-common.otlpEndpoint" -}}
{{- include "weigrid-common.global" (list . "telemetry" "otlpEndpoint") | default .Values.telemetry.otlpEndpoint }}
{{- end }}

{{/*
Names of the Secrets the pods read.
*/}}
{{- define "weigrid-common.databaseSecret" -}}
{{- .Values.database.existingSecret | default (printf "%s-database" (include "weigrid-common.fullname" .)) }}
{{- end }}

{{- define "weigrid-common.tlsSecret" -}}
{{- .Values.grpc.tls.existingSecret | default (printf "%s-tls" (include "weigrid-common.fullname" .)) }}
{{- end }}

{{/*
A probe's check: native gRPC health on the gRPC port, or a TCP check of that
port when the server speaks TLS (the kubelet's gRPC probe is plain text only).
Usage: include "weigrid-common.probeCheck" (list . .Values.probes.readiness)
*/}}
{{- define "weigrid-common.probeCheck" -}}
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
