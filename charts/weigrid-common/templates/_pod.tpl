{{/*
What every pod of a service is made of, whether it serves (the Deployment),
migrates (the pre-install/pre-upgrade Job) or is asked for its health
(the helm test Pod): the same image, the same secret variables and the same
Secret volumes, so that each one reads exactly the configuration the
service reads.
*/}}

{{/*
Pod-level settings: no Kubernetes API token, no service links, pull
secrets, priority, the non-root security context and node placement.
*/}}
{{- define "weigrid-common.podOptions" -}}
automountServiceAccountToken: false
# Configuration comes from WEIGRID_… variables only; Docker-link style
# variables for every Service in the namespace would be noise.
enableServiceLinks: false
{{- with include "weigrid-common.imagePullSecrets" . | trim }}
{{ . }}
{{- end }}
{{- with .Values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
The container's image and security context.
*/}}
{{- define "weigrid-common.containerImage" -}}
image: {{ include "weigrid-common.image" . | quote }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
securityContext:
  {{- toYaml .Values.securityContext | nindent 2 }}
{{- end }}

{{/*
The variables that come from Secrets (the database URL, the service's own
token, the NATS password), then extraEnv, which wins.
*/}}
{{- define "weigrid-common.secretEnv" -}}
- name: {{ include "weigrid-common.envName" (list . "database" "url") }}
  valueFrom:
    secretKeyRef:
      name: {{ include "weigrid-common.databaseSecret" . }}
      key: {{ .Values.database.urlKey }}
{{- include "weigrid-common.serviceTokenEnv" . }}
{{- include "weigrid-common.natsEnv" . }}
{{- include "weigrid-common.objectStoreEnv" . }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
The ConfigMap's variables written out as EnvVars, for a pod that runs
before the ConfigMap exists (the pre-install migration Job).
*/}}
{{- define "weigrid-common.inlineConfigEnv" -}}
{{- range $name, $value := include "weigrid-common.configData" . | fromYaml }}
- name: {{ $name }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- end }}

{{/*
Where the Secrets and /tmp are mounted.
*/}}
{{- define "weigrid-common.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: auth-public-key
  mountPath: {{ .Values.auth.publicKey.mountPath }}
  readOnly: true
{{- if .Values.grpc.tls.enabled }}
- name: tls
  mountPath: {{ .Values.grpc.tls.mountPath }}
  readOnly: true
{{- end }}
{{- if .Values.database.tls.enabled }}
- name: database-tls
  mountPath: {{ .Values.database.tls.mountPath }}
  readOnly: true
{{- end }}
{{- include "weigrid-common.natsVolumeMounts" . }}
{{- include "weigrid-common.peerVolumeMounts" . }}
{{- range $name, $_ := .Values.app.clients }}
{{- include "weigrid-common.clientTlsVolumeMount" (list $ $name) }}
{{- end }}
{{- with .Values.extraVolumeMounts }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
The volumes: a writable /tmp (the root filesystem is read-only), the JWT
public key, the server certificate, the database's CA, the NATS identity
and CA, each client's TLS material, then extraVolumes.
*/}}
{{- define "weigrid-common.volumes" -}}
# The root filesystem is read-only; /tmp is the only writable place.
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
{{- if .Values.grpc.tls.enabled }}
- name: tls
  secret:
    secretName: {{ include "weigrid-common.tlsSecret" . }}
    defaultMode: 0440
    items:
      - key: {{ .Values.grpc.tls.certKey }}
        path: {{ .Values.grpc.tls.certKey }}
      - key: {{ .Values.grpc.tls.keyKey }}
        path: {{ .Values.grpc.tls.keyKey }}
      {{- with .Values.grpc.tls.clientCaKey }}
      - key: {{ . }}
        path: {{ . }}
      {{- end }}
{{- end }}
{{- with .Values.database.tls }}
{{- if .enabled }}
# CA of the PostgreSQL servers' certificates, named by the database URL
# (?sslmode=verify-full&sslrootcert={{ .mountPath }}/{{ .caKey }}).
- name: database-tls
  secret:
    secretName: {{ .existingSecret | required "database.tls.existingSecret must name the Secret holding the PostgreSQL servers' CA when database.tls.enabled" }}
    defaultMode: 0440
    items:
      - key: {{ .caKey }}
        path: {{ .caKey }}
{{- end }}
{{- end }}
{{- include "weigrid-common.natsVolumes" . }}
{{- include "weigrid-common.peerVolumes" . }}
{{- range $name, $_ := .Values.app.clients }}
{{- include "weigrid-common.clientTlsVolume" (list $ $name) }}
{{- end }}
{{- with .Values.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end }}
