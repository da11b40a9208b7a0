{{/*
The ConfigMap: non-secret configuration as environment variables, read with
envFrom. WEIGRID__… keys are shared by every weigrid service,
<app.envPrefix>__… are the service's own (STYLE §4): its listen addresses,
its settings (app.settings) and its clients (app.clients), then
extraConfig. The pods roll when this changes (checksum/config on the
Deployment).
Usage, as the whole of the service chart's templates/configmap.yaml:
  {{ include "weigrid-common.configmap" . }}
*/}}
{{- define "weigrid-common.configmap" -}}
apiVersion: v1
kind: ConfigMap
metadata:
  {{- include "weigrid-common.metadata" . | nindent 2 }}
data:
  {{- include "weigrid-common.configData" . | nindent 2 }}
{{- end }}

{{/*
The configuration itself, one "NAME: value" line per variable: the
ConfigMap's data, and the environment of the migration Job, which runs
before the ConfigMap exists (weigrid-common.inlineConfigEnv).
*/}}
{{- define "weigrid-common.configData" -}}
{{ include "weigrid-common.envName" (list . "grpc" "listen") }}: {{ printf "%s:%v" .Values.grpc.listenAddress .Values.grpc.port | quote }}
{{ include "weigrid-common.envName" (list . "metrics" "listen") }}: {{ printf "%s:%v" .Values.metrics.listenAddress .Values.metrics.port | quote }}
WEIGRID__GRPC__MAX_MESSAGE_BYTES: {{ .Values.grpc.maxMessageBytes | int64 | quote }}
WEIGRID__GRPC__REQUEST_TIMEOUT: {{ .Values.grpc.requestTimeout | quote }}
{{- if .Values.grpc.tls.enabled }}
WEIGRID__GRPC__TLS__CERT_PATH: {{ printf "%s/%s" .Values.grpc.tls.mountPath .Values.grpc.tls.certKey | quote }}
WEIGRID__GRPC__TLS__KEY_PATH: {{ printf "%s/%s" .Values.grpc.tls.mountPath .Values.grpc.tls.keyKey | quote }}
{{- with .Values.grpc.tls.clientCaKey }}
WEIGRID__GRPC__TLS__CLIENT_CA_PATH: {{ printf "%s/%s" $.Values.grpc.tls.mountPath . | quote }}
{{- end }}
{{- end }}
WEIGRID__DATABASE__MAX_CONNECTIONS: {{ .Values.database.maxConnections | int64 | quote }}
WEIGRID__DATABASE__CREATE_IF_MISSING: {{ .Values.database.createIfMissing | quote }}
{{- include "weigrid-common.natsConfig" . }}
WEIGRID__TELEMETRY__FORMAT: {{ include "weigrid-common.telemetryFormat" . | quote }}
{{- with include "weigrid-common.otlpEndpoint" . }}
WEIGRID__TELEMETRY__OTLP_ENDPOINT: {{ . | quote }}
{{- end }}
RUST_LOG: {{ .Values.telemetry.rustLog | quote }}
WEIGRID__AUTH__MODE: {{ include "weigrid-common.authMode" . | quote }}
{{- with include "weigrid-common.authIssuer" . }}
WEIGRID__AUTH__ISSUER: {{ . | quote }}
{{- end }}
{{- with .Values.auth.audience }}
WEIGRID__AUTH__AUDIENCE: {{ . | quote }}
{{- end }}
WEIGRID__AUTH__PUBLIC_KEY_PATH: {{ printf "%s/%s" .Values.auth.publicKey.mountPath .Values.auth.publicKey.key | quote }}
{{- include "weigrid-common.peerConfig" . }}
{{- include "weigrid-common.objectStoreConfig" . }}
{{- with include "weigrid-common.settingsConfig" . | trim }}
{{ . }}
{{- end }}
{{- range $name, $_ := .Values.app.clients }}
{{ include "weigrid-common.clientConfig" (list $ $name) | trim }}
{{- end }}
{{- range $key, $value := .Values.extraConfig }}
{{ $key }}: {{ $value | toString | quote }}
{{- end }}
{{- end }}
