{{/*
The service's own identity, for a service that calls others (app.clients):
the token it sends when it calls them for itself rather than for a caller
(ticket-dispatch's router and deadline timers). It comes from the Secret
serviceToken.existingSecret (key serviceToken.key), issued by the
district's identity provider, and becomes <envPrefix>__CLIENTS__SERVICE_TOKEN.
Under auth.mode "jwt" the service refuses to start without it, so the chart
refuses to render without it.
*/}}

{{/*
The Secret holding the token, or a failure naming the slot.
*/}}
{{- define "weigrid-common.serviceTokenSecret" -}}
{{- $titles := list }}
{{- range $_, $client := .Values.app.clients }}
{{- $titles = append $titles $client.title }}
{{- end }}
{{- $token := .Values.serviceToken | default dict }}
{{- $token.existingSecret | required (printf "serviceToken.existingSecret must name the Secret holding %s's own token (key %q): under auth.mode \"jwt\" it sends that token when it calls %s for itself, and does not start without it" .Chart.Name ($token.key | default "token") (join " and " $titles)) }}
{{- end }}

{{/*
The token as an EnvVar, for a service with clients.
*/}}
{{- define "weigrid-common.serviceTokenEnv" -}}
{{- if .Values.app.clients }}
- name: {{ include "weigrid-common.envName" (list . "clients" "serviceToken") }}
  valueFrom:
    secretKeyRef:
      name: {{ include "weigrid-common.serviceTokenSecret" . }}
      key: {{ .Values.serviceToken.key | required "serviceToken.key must name the key of the token in its Secret" }}
{{- end }}
{{- end }}

{{/*
The token's Secret, as a line of the install notes' list.
*/}}
{{- define "weigrid-common.serviceTokenNotes" -}}
{{- if .Values.app.clients }}
  - {{ include "weigrid-common.serviceTokenSecret" . }} (key "{{ .Values.serviceToken.key }}"): {{ .Chart.Name }}'s own token from the identity provider, for its calls to {{ range $i, $name := keys .Values.app.clients | sortAlpha }}{{ if $i }} and {{ end }}{{ (index $.Values.app.clients $name).title }}{{ end }}
{{- end }}
{{- end }}
