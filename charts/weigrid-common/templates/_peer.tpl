{{/*
A second port for other parties' nodes, beside the gRPC port: the peer port
of case-exchange, where neighbouring towns' nodes deliver by mutual TLS. A
chart has one when its values have `peerPort` (and `node`, the Secret with
the node's signing key and allow-list); every helper here renders nothing
otherwise, so the other services' renders are unchanged.
*/}}

{{/*
The container port "peer".
*/}}
{{- define "weigrid-common.peerContainerPort" -}}
{{- with .Values.peerPort }}
- name: peer
  containerPort: {{ .port }}
  protocol: TCP
{{- end }}
{{- end }}

{{/*
The Service port "peer".
*/}}
{{- define "weigrid-common.peerServicePort" -}}
{{- with .Values.peerPort }}
- name: peer
  port: {{ .port }}
  targetPort: peer
  protocol: TCP
  appProtocol: grpc
{{- end }}
{{- end }}

{{/*
The configuration of the peer port and the node's files.
*/}}
{{- define "weigrid-common.peerConfig" -}}
{{- with .Values.peerPort }}
{{ include "weigrid-common.envName" (list $ "peer_port" "listen") }}: {{ printf "%s:%v" .listenAddress .port | quote }}
{{ include "weigrid-common.envName" (list $ "peer_port" "cert_path") }}: {{ printf "%s/%s" .tls.mountPath .tls.certKey | quote }}
{{ include "weigrid-common.envName" (list $ "peer_port" "key_path") }}: {{ printf "%s/%s" .tls.mountPath .tls.keyKey | quote }}
{{ include "weigrid-common.envName" (list $ "peer_port" "client_ca_path") }}: {{ printf "%s/%s" .tls.mountPath .tls.clientCaKey | quote }}
{{ include "weigrid-common.envName" (list $ "peer_port" "connect_timeout") }}: {{ .connectTimeout | quote }}
{{ include "weigrid-common.envName" (list $ "peer_port" "request_timeout") }}: {{ .requestTimeout | quote }}
{{- end }}
{{- with .Values.node }}
{{ include "weigrid-common.envName" (list $ "node" "signing_key_path") }}: {{ printf "%s/%s" .mountPath .signingKeyKey | quote }}
{{ include "weigrid-common.envName" (list $ "node" "peers_path") }}: {{ printf "%s/%s" .mountPath .peersKey | quote }}
{{- end }}
{{- end }}

{{/*
The volumes: the peer port's certificate, key and peers' CA bundle, and the
node's signing key and allow-list.
*/}}
{{- define "weigrid-common.peerVolumes" -}}
{{- with .Values.peerPort }}
- name: peer-tls
  secret:
    secretName: {{ .tls.existingSecret | required "peerPort.tls.existingSecret must name the Secret with the peer port's certificate, key and the peers' CA bundle" }}
    defaultMode: 0440
    items:
      - key: {{ .tls.certKey }}
        path: {{ .tls.certKey }}
      - key: {{ .tls.keyKey }}
        path: {{ .tls.keyKey }}
      - key: {{ .tls.clientCaKey }}
        path: {{ .tls.clientCaKey }}
{{- end }}
{{- with .Values.node }}
- name: node
  secret:
    secretName: {{ .existingSecret | required "node.existingSecret must name the Secret with the node's signing key and allow-list of peers" }}
    defaultMode: 0440
    items:
      - key: {{ .signingKeyKey }}
        path: {{ .signingKeyKey }}
      - key: {{ .peersKey }}
        path: {{ .peersKey }}
{{- end }}
{{- end }}

{{/*
Where they are mounted.
*/}}
{{- define "weigrid-common.peerVolumeMounts" -}}
{{- with .Values.peerPort }}
- name: peer-tls
  mountPath: {{ .tls.mountPath }}
  readOnly: true
{{- end }}
{{- with .Values.node }}
- name: node
  mountPath: {{ .mountPath }}
  readOnly: true
{{- end }}
{{- end }}

{{/*
The NetworkPolicy's rules: the peer port in from networkPolicy.ingress.peerFrom,
and out to the peers' ports (networkPolicy.egress.peers).
*/}}
{{- define "weigrid-common.peerIngress" -}}
{{- with .Values.peerPort }}
# The neighbours' nodes delivering to the peer port (mutual TLS).
- ports:
    - port: {{ .port }}
      protocol: TCP
  {{- with $.Values.networkPolicy.ingress.peerFrom }}
  from:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
{{- end }}

{{- define "weigrid-common.peerEgress" -}}
{{- if .Values.peerPort }}
{{- with .Values.networkPolicy.egress.peers }}
# The neighbours' peer ports, where this node delivers.
- ports:
    {{- range .ports }}
    - port: {{ . }}
      protocol: TCP
    {{- end }}
  {{- with .to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
{{- end }}
{{- end }}
