{{/*
The NetworkPolicy, when networkPolicy.enabled: gRPC in from
networkPolicy.ingress.grpcFrom, metrics in from the monitoring namespace;
out only to PostgreSQL, the gRPC port of each client (app.clients), NATS,
DNS, the OTLP collector when enabled, S3-compatible storage for a service
whose object store is s3 (_objectstore.tpl), and networkPolicy.egress.extra.
Usage, as the whole of the service chart's templates/networkpolicy.yaml:
  {{ include "weigrid-common.networkpolicy" . }}
*/}}
{{- define "weigrid-common.networkpolicy" -}}
{{- if .Values.networkPolicy.enabled }}
{{- $egress := .Values.networkPolicy.egress }}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  {{- include "weigrid-common.metadata" . | nindent 2 }}
spec:
  podSelector:
    matchLabels:
      {{- include "weigrid-common.selectorLabels" . | nindent 6 }}
  policyTypes:
    - Ingress
    - Egress
  ingress:
    # gRPC callers: the other weigrid services, gateways, integrators.
    - ports:
        - port: {{ .Values.grpc.port }}
          protocol: TCP
      {{- with .Values.networkPolicy.ingress.grpcFrom }}
      from:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    {{- with include "weigrid-common.peerIngress" . | trim }}{{ . | nindent 4 }}{{ end }}
    # Prometheus scraping the metrics port.
    - ports:
        - port: {{ .Values.metrics.port }}
          protocol: TCP
      from:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: {{ .Values.networkPolicy.ingress.metricsNamespace }}
  egress:
    # PostgreSQL: the service's own database.
    - ports:
        - port: {{ $egress.postgres.port }}
          protocol: TCP
      {{- with $egress.postgres.to }}
      to:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    {{- range $name, $_ := .Values.app.clients }}
    {{- include "weigrid-common.clientEgress" (list $ $name) | trim | nindent 4 }}
    {{- end }}
    {{- with include "weigrid-common.peerEgress" . | trim }}{{ . | nindent 4 }}{{ end }}
    # NATS JetStream: the service's events out, other services' events in.
    - ports:
        - port: {{ $egress.nats.port }}
          protocol: TCP
      {{- with $egress.nats.to }}
      to:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    # DNS, to find all of the above.
    - ports:
        - port: {{ $egress.dns.port }}
          protocol: UDP
        - port: {{ $egress.dns.port }}
          protocol: TCP
      {{- with $egress.dns.to }}
      to:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    {{- if $egress.otlp.enabled }}
    # OTLP: traces to the collector.
    - ports:
        - port: {{ $egress.otlp.port }}
          protocol: TCP
      {{- with $egress.otlp.to }}
      to:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    {{- end }}
    {{- with include "weigrid-common.objectStoreEgress" . | trim }}
    {{- . | nindent 4 }}
    {{- end }}
    {{- with $egress.extra }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end }}
{{- end }}
