{{/*
The ServiceAccount the pods run as, when serviceAccount.create.
Usage, as the whole of the service chart's templates/serviceaccount.yaml:
  {{ include "weigrid-common.serviceaccount" . }}
*/}}
{{- define "weigrid-common.serviceaccount" -}}
{{- if .Values.serviceAccount.create }}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "weigrid-common.serviceAccountName" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "weigrid-common.labels" . | nindent 4 }}
  {{- with .Values.serviceAccount.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
# The service never calls the Kubernetes API: no token in its pods.
automountServiceAccountToken: false
{{- end }}
{{- end }}
