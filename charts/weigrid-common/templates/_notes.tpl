{{/*
The install notes, in two halves around what the service chart has to say
of its own (how it reaches the other services, its rules):
  {{ include "weigrid-common.notes.install" . }}

  …the service's own paragraph, if any…

  {{ include "weigrid-common.notes.use" . }}
as the service chart's templates/NOTES.txt.
*/}}

{{/*
Where the service answers, the Secrets it needs before it starts (its
clients' TLS Secrets among them) and how to watch it become ready.
*/}}
{{- define "weigrid-common.notes.install" -}}
{{ .Chart.Name }} {{ include "weigrid-common.imageTag" . }} is installed as {{ include "weigrid-common.fullname" . }} in namespace {{ .Release.Namespace }}.

gRPC (API, grpc.health.v1, reflection):
  {{ include "weigrid-common.fullname" . }}.{{ .Release.Namespace }}.svc:{{ .Values.grpc.port }}{{ if .Values.grpc.tls.enabled }} (TLS{{ if .Values.grpc.tls.clientCaKey }}, client certificates required{{ end }}){{ end }}
Prometheus metrics:
  http://{{ include "weigrid-common.fullname" . }}.{{ .Release.Namespace }}.svc:{{ .Values.metrics.port }}{{ .Values.metrics.path }}

The pods start only once these Secrets exist:
  - {{ include "weigrid-common.databaseSecret" . }} (key "{{ .Values.database.urlKey }}"): the PostgreSQL URL of database {{ .Values.app.database }}
  - {{ include "weigrid-common.authPublicKeySecret" . }} (key "{{ .Values.auth.publicKey.key }}"): the JWT issuer's PEM public key
{{- include "weigrid-common.serviceTokenNotes" . }}
{{- with .Values.database.tls }}
{{- if .enabled }}
  - {{ .existingSecret }} (key "{{ .caKey }}"): the PostgreSQL servers' CA, named by the URL's sslrootcert={{ .mountPath }}/{{ .caKey }}
{{- end }}
{{- end }}
{{- include "weigrid-common.natsSecretNotes" . }}
{{- if .Values.grpc.tls.enabled }}
  - {{ include "weigrid-common.tlsSecret" . }} (keys "{{ .Values.grpc.tls.certKey }}", "{{ .Values.grpc.tls.keyKey }}"{{ with .Values.grpc.tls.clientCaKey }}, "{{ . }}"{{ end }}): the server certificate
{{- end }}
{{- range $name, $client := .Values.app.clients }}
{{- $tls := (index $.Values.clients $name).tls }}
{{- if $tls.enabled }}
{{- $cert := include "weigrid-common.clientCert" (list $ $name) }}
  - {{ include "weigrid-common.clientTlsSecret" (list $ $name) }} (keys "{{ $tls.caKey }}"{{ if $cert }}, "{{ $tls.certKey }}", "{{ $tls.keyKey }}"{{ end }}): the CA{{ if $cert }} and the client certificate{{ end }} for calling {{ $client.title }}
{{- end }}
{{- end }}

{{- if .Values.migrations.enabled }}

Before the pods start, and before every upgrade, Job {{ include "weigrid-common.taskName" (list . "migrate") }} brings the
database schema up to date ("{{ .Chart.Name }} migrate"); its logs, if it fails:
  kubectl -n {{ .Release.Namespace }} logs job/{{ include "weigrid-common.taskName" (list . "migrate") }}
{{- end }}

They become ready once PostgreSQL answers (NATS may come later: events wait in the outbox for {{ include "weigrid-common.natsUrl" . }}):
  kubectl -n {{ .Release.Namespace }} rollout status deployment/{{ include "weigrid-common.fullname" . }}
{{- if .Values.tests.enabled }}
  helm test {{ .Release.Name }} -n {{ .Release.Namespace }}
{{- end }}
{{- end }}

{{/*
How to reach the service from a workstation, and what limits it: dev auth,
the NetworkPolicy.
*/}}
{{- define "weigrid-common.notes.use" -}}
Check it from your machine:
  kubectl -n {{ .Release.Namespace }} port-forward service/{{ include "weigrid-common.fullname" . }} {{ .Values.grpc.port }}:{{ .Values.grpc.port }}
{{- $grpcurlFlags := "-plaintext" }}
{{- if .Values.grpc.tls.enabled }}
{{- $grpcurlFlags = printf "-cacert ca.crt -servername %s.%s.svc" (include "weigrid-common.fullname" .) .Release.Namespace }}
{{- if .Values.grpc.tls.clientCaKey }}
{{- $grpcurlFlags = printf "%s -cert client.crt -key client.key" $grpcurlFlags }}
{{- end }}
{{- end }}
  grpcurl {{ $grpcurlFlags }} -d '{"service": "{{ .Values.app.grpcService }}"}' localhost:{{ .Values.grpc.port }} grpc.health.v1.Health/Check
  grpcurl {{ $grpcurlFlags }} localhost:{{ .Values.grpc.port }} list
{{- if .Values.networkPolicy.enabled }}

A NetworkPolicy admits gRPC only from the peers in networkPolicy.ingress.grpcFrom
{{- range $name, $client := .Values.app.clients }}
{{- $egress := index $.Values.networkPolicy.egress $name }},
and lets the pods call {{ $client.title }} only on port {{ $egress.port }}{{ if $egress.to }} of the peers in networkPolicy.egress.{{ $name }}.to{{ end }}
{{- end }}.
{{- end }}
{{- end }}
