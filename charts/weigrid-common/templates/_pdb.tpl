{{/*
The PodDisruptionBudget, when podDisruptionBudget.enabled.
Usage, as the whole of the service chart's templates/pdb.yaml:
  {{ include "weigrid-common.pdb" . }}
*/}}
{{- define "weigrid-common.pdb" -}}
{{- if .Values.podDisruptionBudget.enabled }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  {{- include "weigrid-common.metadata" . | nindent 2 }}
spec:
  maxUnavailable: {{ .Values.podDisruptionBudget.maxUnavailable }}
  # A pod that is not ready serves nothing: evicting it costs no capacity and
  # must not block a node drain.
  unhealthyPodEvictionPolicy: AlwaysAllow
  selector:
    matchLabels:
      {{- include "weigrid-common.selectorLabels" . | nindent 6 }}
{{- end }}
{{- end }}
