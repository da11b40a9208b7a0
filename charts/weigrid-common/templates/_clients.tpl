{{/*
The other weigrid services a service calls over gRPC. Each is declared under
app.clients.<name> (its title: who it is, in messages and notes); its
settings are clients.<name> (endpoint, connectTimeout, requestTimeout,
maxAttempts, tls), its egress rule networkPolicy.egress.<name> (port, to).
They become the variables <envPrefix>__CLIENTS__<NAME>__…, a Secret volume
"<name>-client-tls" when tls.enabled, and an egress rule.
The helpers below take the service chart's context and the client's name.
Usage: include "weigrid-common.clientEndpoint" (list . "registry")
*/}}

{{/*
The client's endpoint, rendered as a template (the umbrella chart derives
it from the release name). With client TLS it must be https://: an http://
endpoint would be dialled in plain text despite the TLS settings.
*/}}
{{- define "weigrid-common.clientEndpoint" -}}
{{- $root := index . 0 }}
{{- $name := index . 1 }}
{{- $client := index $root.Values.clients $name }}
{{- $title := (index $root.Values.app.clients $name).title }}
{{- $endpoint := tpl ($client.endpoint | required (printf "clients.%s.endpoint must name %s's gRPC endpoint" $name $title)) $root }}
{{- if not (or (hasPrefix "http://" $endpoint) (hasPrefix "https://" $endpoint) (hasPrefix "dns:///" $endpoint) (hasPrefix "dns+https:///" $endpoint)) }}
{{- fail (printf "clients.%s.endpoint must be an http:// or https:// URL, or dns:///host:port (dns+https:///host:port with TLS) to balance over a headless Service, not %q" $name $endpoint) }}
{{- end }}
{{- if and $client.tls.enabled (not (or (hasPrefix "https://" $endpoint) (hasPrefix "dns+https:///" $endpoint))) }}
{{- fail (printf "clients.%s.endpoint must be https:// when clients.%s.tls.enabled, not %q" $name $name $endpoint) }}
{{- end }}
{{- $endpoint }}
{{- end }}

{{/*
The Secret with the CA and client certificate for calling the service:
clients.<name>.tls.existingSecret, else "<full name>-<name>-client-tls".
*/}}
{{- define "weigrid-common.clientTlsSecret" -}}
{{- $root := index . 0 }}
{{- $name := index . 1 }}
{{- (index $root.Values.clients $name).tls.existingSecret | default (printf "%s-%s-client-tls" (include "weigrid-common.fullname" $root) (kebabcase $name)) }}
{{- end }}

{{/*
The name the service's certificate must carry: clients.<name>.tls.domain
(rendered as a template), else the endpoint's host name.
*/}}
{{- define "weigrid-common.clientTlsDomain" -}}
{{- $root := index . 0 }}
{{- $name := index . 1 }}
{{- with (index $root.Values.clients $name).tls.domain }}
{{- tpl . $root }}
{{- else }}
{{- (urlParse (include "weigrid-common.clientEndpoint" (list $root $name))).hostname }}
{{- end }}
{{- end }}

{{/*
"true" when the pods present a client certificate to the service; certKey
and keyKey go together.
*/}}
{{- define "weigrid-common.clientCert" -}}
{{- $root := index . 0 }}
{{- $name := index . 1 }}
{{- $tls := (index $root.Values.clients $name).tls }}
{{- if ne (empty $tls.certKey) (empty $tls.keyKey) }}
{{- fail (printf "clients.%s.tls.certKey and keyKey must be set together" $name) }}
{{- end }}
{{- if $tls.certKey }}true{{ end }}
{{- end }}

{{/*
The client's ConfigMap entries.
*/}}
{{- define "weigrid-common.clientConfig" -}}
{{- $root := index . 0 }}
{{- $name := index . 1 }}
{{- $client := index $root.Values.clients $name }}
{{- $env := list $root "clients" $name }}
{{ include "weigrid-common.envName" (append $env "endpoint") }}: {{ include "weigrid-common.clientEndpoint" (list $root $name) | quote }}
{{- with $client.connectTimeout }}
{{ include "weigrid-common.envName" (append $env "connectTimeout") }}: {{ . | quote }}
{{- end }}
{{- with $client.requestTimeout }}
{{ include "weigrid-common.envName" (append $env "requestTimeout") }}: {{ . | quote }}
{{- end }}
{{- with $client.maxAttempts }}
{{ include "weigrid-common.envName" (append $env "maxAttempts") }}: {{ . | int64 | quote }}
{{- end }}
{{- if $client.tls.enabled }}
{{ include "weigrid-common.envName" (concat $env (list "tls" "caPath")) }}: {{ printf "%s/%s" $client.tls.mountPath $client.tls.caKey | quote }}
{{ include "weigrid-common.envName" (concat $env (list "tls" "domain")) }}: {{ include "weigrid-common.clientTlsDomain" (list $root $name) | quote }}
{{- if include "weigrid-common.clientCert" (list $root $name) }}
{{ include "weigrid-common.envName" (concat $env (list "tls" "certPath")) }}: {{ printf "%s/%s" $client.tls.mountPath $client.tls.certKey | quote }}
{{ include "weigrid-common.envName" (concat $env (list "tls" "keyPath")) }}: {{ printf "%s/%s" $client.tls.mountPath $client.tls.keyKey | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The client's TLS volume, when it calls over TLS: the CA, and for mutual TLS
the client certificate.
*/}}
{{- define "weigrid-common.clientTlsVolume" -}}
{{- $root := index . 0 }}
{{- $name := index . 1 }}
{{- with (index $root.Values.clients $name).tls }}
{{- if .enabled }}
# CA, and for mutual TLS the client certificate, for calls to
# {{ (index $root.Values.app.clients $name).title }}.
- name: {{ kebabcase $name }}-client-tls
  secret:
    secretName: {{ include "weigrid-common.clientTlsSecret" (list $root $name) }}
    defaultMode: 0440
    items:
      - key: {{ .caKey }}
        path: {{ .caKey }}
      {{- if include "weigrid-common.clientCert" (list $root $name) }}
      - key: {{ .certKey }}
        path: {{ .certKey }}
      - key: {{ .keyKey }}
        path: {{ .keyKey }}
      {{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Where the client's TLS volume is mounted.
*/}}
{{- define "weigrid-common.clientTlsVolumeMount" -}}
{{- $root := index . 0 }}
{{- $name := index . 1 }}
{{- with (index $root.Values.clients $name).tls }}
{{- if .enabled }}
- name: {{ kebabcase $name }}-client-tls
  mountPath: {{ .mountPath }}
  readOnly: true
{{- end }}
{{- end }}
{{- end }}

{{/*
The egress rule to the service's gRPC port.
*/}}
{{- define "weigrid-common.clientEgress" -}}
{{- $root := index . 0 }}
{{- $name := index . 1 }}
{{- $egress := index $root.Values.networkPolicy.egress $name }}
# The gRPC port of {{ (index $root.Values.app.clients $name).title }}.
- ports:
    - port: {{ $egress.port }}
      protocol: TCP
  {{- with $egress.to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}

{{/*
How the service is called, for the install notes: the endpoint, and with TLS
the certificate name and whether a client certificate is presented.
*/}}
{{- define "weigrid-common.clientSummary" -}}
{{- $root := index . 0 }}
{{- $name := index . 1 }}
{{- include "weigrid-common.clientEndpoint" (list $root $name) }}
{{- if (index $root.Values.clients $name).tls.enabled }} (TLS, certificate name {{ include "weigrid-common.clientTlsDomain" (list $root $name) }}{{ if include "weigrid-common.clientCert" (list $root $name) }}, with a client certificate{{ end }}){{ end }}
{{- end }}
