{{/*
The `helm test` hook, when tests.enabled: a Pod with the service's own image
and configuration running `<service> probe <address>`, which asks the
service's health (grpc.health.v1) through its Service and succeeds when the
service's API (app.grpcService) is SERVING. With grpc.tls it speaks TLS to
https://, trusting grpc.tls.clientCaKey's CA and presenting the server's own
certificate, so the certificate must carry the Service's name.
Usage, as the whole of the service chart's templates/tests/probe.yaml:
  {{ include "weigrid-common.testPod" . }}
*/}}
{{- define "weigrid-common.testPod" -}}
{{- if .Values.tests.enabled }}
apiVersion: v1
kind: Pod
metadata:
  name: {{ include "weigrid-common.taskName" (list . "test") }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "weigrid-common.taskLabels" (list . "test") | nindent 4 }}
  annotations:
    helm.sh/hook: test
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
spec:
  restartPolicy: Never
  # The longest the check may take; the probe itself gives up after 3 s.
  activeDeadlineSeconds: {{ .Values.tests.activeDeadlineSeconds }}
  serviceAccountName: {{ include "weigrid-common.serviceAccountName" . }}
  {{- include "weigrid-common.podOptions" . | nindent 2 }}
  containers:
    - name: probe
      {{- include "weigrid-common.containerImage" . | nindent 6 }}
      args:
        - probe
        - {{ include "weigrid-common.serviceUrl" . | quote }}
      envFrom:
        - configMapRef:
            name: {{ include "weigrid-common.fullname" . }}
      env:
        {{- include "weigrid-common.secretEnv" . | nindent 8 }}
      resources:
        {{- toYaml .Values.tests.resources | nindent 8 }}
      volumeMounts:
        {{- include "weigrid-common.volumeMounts" . | nindent 8 }}
  volumes:
    {{- include "weigrid-common.volumes" . | nindent 4 }}
{{- end }}
{{- end }}

{{/*
The service's gRPC address inside the cluster, through its Service:
http:// or, with grpc.tls, https://.
*/}}
{{- define "weigrid-common.serviceUrl" -}}
{{- printf "%s://%s.%s.svc:%v" (ternary "https" "http" .Values.grpc.tls.enabled) (include "weigrid-common.fullname" .) .Release.Namespace .Values.grpc.port }}
{{- end }}
