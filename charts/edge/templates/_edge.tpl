{{/*
The edge's own pieces: an HTTP service without a database or a stream,
made of weigrid-common's helpers (names, labels, image, clients, identity)
where they fit and of these where the library assumes gRPC, PostgreSQL and
NATS.
*/}}

{{/*
Refusals the edge would make at start, made at render: the local stand-in
for WeChat, an unknown photo store, S3 without a bucket.
*/}}
{{- define "edge.checks" -}}
{{- if ne .Values.wechat.login "jscode2session" }}
{{- fail (printf "wechat.login must be \"jscode2session\", not %q: \"local\" is the stand-in that trusts any login code, for tests and make run only" .Values.wechat.login) }}
{{- end }}
{{- if not (has .Values.photos.store (list "local" "s3")) }}
{{- fail (printf "photos.store must be \"local\" or \"s3\", not %q" .Values.photos.store) }}
{{- end }}
{{- if and (eq .Values.photos.store "s3") (not .Values.photos.s3.bucket) }}
{{- fail "photos.s3.bucket must name the bucket when photos.store is \"s3\"" }}
{{- end }}
{{- end }}

{{/*
The configuration, one "NAME: value" line per variable: the listeners, the
shared telemetry and auth sections (never database, nats or grpc: the edge
refuses them as unknown keys), its own settings and clients.
*/}}
{{- define "edge.configData" -}}
{{- include "edge.checks" . -}}
{{ include "weigrid-common.envName" (list . "http" "listen") }}: {{ printf "%s:%v" .Values.http.listenAddress .Values.http.port | quote }}
{{ include "weigrid-common.envName" (list . "http" "requestTimeout") }}: {{ .Values.http.requestTimeout | quote }}
{{ include "weigrid-common.envName" (list . "http" "drainTimeout") }}: {{ .Values.http.drainTimeout | quote }}
{{ include "weigrid-common.envName" (list . "metrics" "listen") }}: {{ printf "%s:%v" .Values.metrics.listenAddress .Values.metrics.port | quote }}
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
WEIGRID__AUTH__ALGORITHM: {{ .Values.auth.algorithm | quote }}
WEIGRID__AUTH__PUBLIC_KEY_PATH: {{ printf "%s/%s" .Values.auth.publicKey.mountPath .Values.auth.publicKey.key | quote }}
{{ include "weigrid-common.envName" (list . "session" "signingKeyPath") }}: {{ printf "%s/%s" .Values.session.signingKey.mountPath .Values.session.signingKey.key | quote }}
{{ include "weigrid-common.envName" (list . "wechat" "login") }}: {{ .Values.wechat.login | quote }}
{{ include "weigrid-common.envName" (list . "photos" "store") }}: {{ .Values.photos.store | quote }}
{{ include "weigrid-common.envName" (list . "photos" "localDir") }}: {{ .Values.photos.local.mountPath | quote }}
{{- if eq .Values.photos.store "s3" }}
{{ include "weigrid-common.envName" (list . "photos" "s3Bucket") }}: {{ .Values.photos.s3.bucket | quote }}
{{ include "weigrid-common.envName" (list . "photos" "s3Endpoint") }}: {{ .Values.photos.s3.endpoint | quote }}
{{ include "weigrid-common.envName" (list . "photos" "s3Region") }}: {{ .Values.photos.s3.region | quote }}
{{- end }}
WEIGRID_EDGE__OPEN311__JURISDICTION_ID: {{ .Values.open311.jurisdictionId | required "open311.jurisdictionId must name the jurisdiction served" | quote }}
WEIGRID_EDGE__OPEN311__AGENCY: {{ .Values.open311.agency | quote }}
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

{{/*
The variables from Secrets: the edge's own token, the WeChat app id and
secret, the Open311 API keys, the object store's credentials, then extraEnv.
*/}}
{{- define "edge.secretEnv" -}}
{{- include "weigrid-common.serviceTokenEnv" . | trim }}
- name: {{ include "weigrid-common.envName" (list . "wechat" "appId") }}
  valueFrom:
    secretKeyRef:
      name: {{ .Values.wechat.existingSecret | required "wechat.existingSecret must name the Secret with the mini-program's app id and app secret" }}
      key: {{ .Values.wechat.appIdKey }}
- name: {{ include "weigrid-common.envName" (list . "wechat" "appSecret") }}
  valueFrom:
    secretKeyRef:
      name: {{ .Values.wechat.existingSecret }}
      key: {{ .Values.wechat.appSecretKey }}
- name: {{ include "weigrid-common.envName" (list . "open311" "apiKeys") }}
  valueFrom:
    secretKeyRef:
      name: {{ .Values.open311.apiKeys.existingSecret | required "open311.apiKeys.existingSecret must name the Secret with the Open311 API keys" }}
      key: {{ .Values.open311.apiKeys.key }}
{{- if and (eq .Values.photos.store "s3") .Values.photos.s3.existingSecret }}
- name: AWS_ACCESS_KEY_ID
  valueFrom:
    secretKeyRef:
      name: {{ .Values.photos.s3.existingSecret }}
      key: {{ .Values.photos.s3.accessKeyIdKey }}
- name: AWS_SECRET_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.photos.s3.existingSecret }}
      key: {{ .Values.photos.s3.secretAccessKeyKey }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Where /tmp, the Secrets and the photo directory are mounted.
*/}}
{{- define "edge.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: auth-public-key
  mountPath: {{ .Values.auth.publicKey.mountPath }}
  readOnly: true
- name: session-key
  mountPath: {{ .Values.session.signingKey.mountPath }}
  readOnly: true
{{- if eq .Values.photos.store "local" }}
- name: photos
  mountPath: {{ .Values.photos.local.mountPath }}
{{- end }}
{{- range $name, $_ := .Values.app.clients }}
{{- include "weigrid-common.clientTlsVolumeMount" (list $ $name) }}
{{- end }}
{{- with .Values.extraVolumeMounts }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "edge.volumes" -}}
# The root filesystem is read-only; /tmp and the photo directory are the
# only writable places.
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
- name: auth-public-key
  secret:
    secretName: {{ include "weigrid-common.authPublicKeySecret" . }}
    defaultMode: 0440
    items:
      - key: {{ .Values.auth.publicKey.key }}
        path: {{ .Values.auth.publicKey.key }}
# The private key residents' sessions are signed with.
- name: session-key
  secret:
    secretName: {{ .Values.session.signingKey.existingSecret | required "session.signingKey.existingSecret must name the Secret with the key residents' sessions are signed with" }}
    defaultMode: 0440
    items:
      - key: {{ .Values.session.signingKey.key }}
        path: {{ .Values.session.signingKey.key }}
{{- if eq .Values.photos.store "local" }}
{{- with .Values.photos.local }}
{{- if .existingClaim }}
- name: photos
  persistentVolumeClaim:
    claimName: {{ .existingClaim }}
{{- else }}
# Photos last as long as the pod: a trial only (photos.local.existingClaim,
# or photos.store "s3", for anything kept).
- name: photos
  emptyDir:
    sizeLimit: {{ .sizeLimit }}
{{- end }}
{{- end }}
{{- end }}
{{- range $name, $_ := .Values.app.clients }}
{{- include "weigrid-common.clientTlsVolume" (list $ $name) }}
{{- end }}
{{- with .Values.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
An HTTP probe of the HTTP port.
Usage: include "edge.probe" (list . .Values.probes.readiness)
*/}}
{{- define "edge.probe" -}}
{{- $probe := index . 1 -}}
httpGet:
  path: {{ $probe.path }}
  port: http
periodSeconds: {{ $probe.periodSeconds }}
timeoutSeconds: {{ $probe.timeoutSeconds }}
failureThreshold: {{ $probe.failureThreshold }}
{{- with $probe.successThreshold }}
successThreshold: {{ . }}
{{- end }}
{{- end }}
