{{/*
The Service in front of the pods: port "grpc" (appProtocol grpc) and port
"metrics". service.clusterIP "None" makes it headless, so that gRPC clients
balance over every pod themselves.
Usage, as the whole of the service chart's templates/service.yaml:
  {{ include "weigrid-common.service" . }}
*/}}
{{- define "weigrid-common.service" -}}
apiVersion: v1
kind: Service
metadata:
  {{- include "weigrid-common.metadata" . | nindent 2 }}
  {{- with .Values.service.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  type: {{ .Values.service.type }}
  {{- with .Values.service.clusterIP }}
  clusterIP: {{ . }}
  {{- end }}
  selector:
    {{- include "weigrid-common.selectorLabels" . | nindent 4 }}
  ports:
    - name: grpc
      port: {{ .Values.grpc.port }}
      targetPort: grpc
      protocol: TCP
      appProtocol: grpc
    - name: metrics
      port: {{ .Values.metrics.port }}
      targetPort: metrics
      protocol: TCP
      appProtocol: http
    {{- with include "weigrid-common.peerServicePort" . | trim }}{{ . | nindent 4 }}{{ end }}
{{- end }}
