{{/*
NATS as production runs it: the cluster's URLs, the service's own NATS user
(nats.auth: a password, an NKey seed or a credentials file, each from a
Secret), TLS with the servers' CA (nats.tls, mutual TLS with certKey and
keyKey), and the limits of the service's stream (nats.streamReplicas,
streamMaxAge, streamMaxBytes; global.nats.* wins, so that every service
declares the streams it reads with the same limits as their owner).
They become the WEIGRID__NATS__… variables (crates/platform/defaults.toml)
and the Secret volumes "nats-auth" and "nats-tls".
*/}}

{{/*
The NATS setting key (streamReplicas …): global.nats.<key>, else
nats.<key>, else "" (the service's default).
Usage: include "weigrid-common.natsSetting" (list . "streamReplicas")
*/}}
{{- define "weigrid-common.natsSetting" -}}
{{- $root := index . 0 }}
{{- $key := index . 1 }}
{{- $value := dig "nats" $key "" ($root.Values.global | default dict) }}
{{- if eq (toString $value) "" }}
{{- $value = index $root.Values.nats $key | default "" }}
{{- end }}
{{- /* YAML numbers reach templates as floats: 10737418240, not 1.073741824e+10. */}}
{{- if and (kindIs "float64" $value) (eq $value (float64 (int64 $value))) }}
{{- $value = int64 $value }}
{{- end }}
{{- $value | toString }}
{{- end }}

{{/*
How the service proves who it is to NATS: "none", "password", "nkey" or
"credentials"; fails naming what is missing.
*/}}
{{- define "weigrid-common.natsAuthMethod" -}}
{{- $auth := .Values.nats.auth }}
{{- $method := $auth.method | default "none" }}
{{- if not (has $method (list "none" "password" "nkey" "credentials")) }}
{{- fail (printf "nats.auth.method must be \"none\", \"password\", \"nkey\" or \"credentials\", not %q" $method) }}
{{- end }}
{{- if and (eq $method "password") (not $auth.user) }}
{{- fail "nats.auth.user must name the service's NATS user when nats.auth.method is \"password\"" }}
{{- end }}
{{- if and (ne $method "none") (not $auth.existingSecret) }}
{{- fail (printf "nats.auth.existingSecret must name the Secret holding the service's NATS %s when nats.auth.method is %q" (get (dict "password" "password" "nkey" "NKey seed" "credentials" "credentials file") $method) $method) }}
{{- end }}
{{- if ne (empty .Values.nats.tls.certKey) (empty .Values.nats.tls.keyKey) }}
{{- fail "nats.tls.certKey and keyKey must be set together" }}
{{- end }}
{{- if and .Values.nats.tls.enabled (not .Values.nats.tls.existingSecret) }}
{{- fail "nats.tls.existingSecret must name the Secret holding the NATS servers' CA when nats.tls.enabled" }}
{{- end }}
{{- $method }}
{{- end }}

{{/*
The ConfigMap entries, each on a line of its own after a newline.
*/}}
{{- define "weigrid-common.natsConfig" -}}
{{- $auth := .Values.nats.auth }}
{{- $tls := .Values.nats.tls }}
{{- $method := include "weigrid-common.natsAuthMethod" . }}
WEIGRID__NATS__URL: {{ include "weigrid-common.natsUrl" . | quote }}
WEIGRID__NATS__PREFIX: {{ .Values.nats.prefix | quote }}
{{- /* Replies come to a prefix of the service's own, so NATS permissions
       (charts/weigrid/nats/permissions.yaml) keep one service from reading
       another's. */}}
WEIGRID__NATS__INBOX_PREFIX: {{ printf "_INBOX_%s" (.Chart.Name | replace "-" "_") | quote }}
{{- range $key := list "streamReplicas" "streamMaxAge" "streamMaxBytes" "maxDeliveries" }}
{{- with include "weigrid-common.natsSetting" (list $ $key) }}
WEIGRID__NATS__{{ snakecase $key | upper }}: {{ . | quote }}
{{- end }}
{{- end }}
{{- if eq $method "password" }}
WEIGRID__NATS__USER: {{ $auth.user | quote }}
{{- else if eq $method "nkey" }}
WEIGRID__NATS__NKEY_SEED_PATH: {{ printf "%s/%s" $auth.mountPath $auth.nkeySeedKey | quote }}
{{- else if eq $method "credentials" }}
WEIGRID__NATS__CREDENTIALS_PATH: {{ printf "%s/%s" $auth.mountPath $auth.credentialsKey | quote }}
{{- end }}
{{- if $tls.enabled }}
WEIGRID__NATS__TLS_CA_PATH: {{ printf "%s/%s" $tls.mountPath $tls.caKey | quote }}
{{- if $tls.certKey }}
WEIGRID__NATS__TLS_CERT_PATH: {{ printf "%s/%s" $tls.mountPath $tls.certKey | quote }}
WEIGRID__NATS__TLS_KEY_PATH: {{ printf "%s/%s" $tls.mountPath $tls.keyKey | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The NATS password, from its Secret, as an EnvVar (nats.auth.method "password").
*/}}
{{- define "weigrid-common.natsEnv" -}}
{{- if eq (include "weigrid-common.natsAuthMethod" .) "password" }}
- name: WEIGRID__NATS__PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .Values.nats.auth.existingSecret }}
      key: {{ .Values.nats.auth.passwordKey }}
{{- end }}
{{- end }}

{{/*
The NATS Secret volumes: the NKey seed or credentials file, and the CA (and
client certificate) for TLS.
*/}}
{{- define "weigrid-common.natsVolumes" -}}
{{- $auth := .Values.nats.auth }}
{{- $method := include "weigrid-common.natsAuthMethod" . }}
{{- if has $method (list "nkey" "credentials") }}
{{- $key := ternary $auth.nkeySeedKey $auth.credentialsKey (eq $method "nkey") }}
# The service's own NATS identity.
- name: nats-auth
  secret:
    secretName: {{ $auth.existingSecret }}
    defaultMode: 0440
    items:
      - key: {{ $key }}
        path: {{ $key }}
{{- end }}
{{- with .Values.nats.tls }}
{{- if .enabled }}
# CA of the NATS servers' certificates, and for mutual TLS the client certificate.
- name: nats-tls
  secret:
    secretName: {{ .existingSecret }}
    defaultMode: 0440
    items:
      - key: {{ .caKey }}
        path: {{ .caKey }}
      {{- if .certKey }}
      - key: {{ .certKey }}
        path: {{ .certKey }}
      - key: {{ .keyKey }}
        path: {{ .keyKey }}
      {{- end }}
{{- end }}
{{- end }}
{{- end }}

{{- define "weigrid-common.natsVolumeMounts" -}}
{{- if has (include "weigrid-common.natsAuthMethod" .) (list "nkey" "credentials") }}
- name: nats-auth
  mountPath: {{ .Values.nats.auth.mountPath }}
  readOnly: true
{{- end }}
{{- if .Values.nats.tls.enabled }}
- name: nats-tls
  mountPath: {{ .Values.nats.tls.mountPath }}
  readOnly: true
{{- end }}
{{- end }}

{{/*
The NATS Secrets, as lines of the install notes' list.
*/}}
{{- define "weigrid-common.natsSecretNotes" -}}
{{- $auth := .Values.nats.auth }}
{{- $method := include "weigrid-common.natsAuthMethod" . }}
{{- if eq $method "password" }}
  - {{ $auth.existingSecret }} (key "{{ $auth.passwordKey }}"): the password of NATS user {{ $auth.user }}
{{- else if eq $method "nkey" }}
  - {{ $auth.existingSecret }} (key "{{ $auth.nkeySeedKey }}"): the service's NATS NKey seed
{{- else if eq $method "credentials" }}
  - {{ $auth.existingSecret }} (key "{{ $auth.credentialsKey }}"): the service's NATS credentials file
{{- end }}
{{- with .Values.nats.tls }}
{{- if .enabled }}
  - {{ .existingSecret }} (key{{ if .certKey }}s{{ end }} "{{ .caKey }}"{{ if .certKey }}, "{{ .certKey }}", "{{ .keyKey }}"{{ end }}): the NATS servers' CA{{ if .certKey }} and the client certificate{{ end }}
{{- end }}
{{- end }}
{{- end }}
