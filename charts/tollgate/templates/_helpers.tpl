{{/*
Object names: "<release>-tollgate", or the release name alone when it already says tollgate; cut to 50
characters so the "-operator" and "-hooks-auth" suffixes still fit in 63.
*/}}
{{- define "tollgate.fullname" -}}
{{- $name := .Values.nameOverride | default .Chart.Name -}}
{{- $full := .Values.fullnameOverride -}}
{{- if not $full -}}
{{- $full = ternary .Release.Name (printf "%s-%s" .Release.Name $name) (contains $name .Release.Name) -}}
{{- end -}}
{{- $full | trunc 50 | trimSuffix "-" -}}
{{- end -}}

{{- define "tollgate.operator.name" -}}{{ include "tollgate.fullname" . }}-operator{{- end -}}
{{- define "tollgate.hooks.name" -}}{{ include "tollgate.fullname" . }}-hooks{{- end -}}

{{- define "tollgate.operator.serviceAccount" -}}
{{- .Values.operator.serviceAccount.name | default (include "tollgate.operator.name" .) -}}
{{- end -}}
{{- define "tollgate.hooks.serviceAccount" -}}
{{- .Values.hooks.serviceAccount.name | default (include "tollgate.hooks.name" .) -}}
{{- end -}}

{{/* The Secret with the hooks' token and HMAC key. */}}
{{- define "tollgate.hooks.authSecret" -}}
{{- .Values.hooks.auth.existingSecret | default (printf "%s-hooks-auth" (include "tollgate.fullname" .)) -}}
{{- end -}}

{{/* Labels of every object; "component" is operator or hooks. Call with (dict "root" $ "component" "..."). */}}
{{- define "tollgate.labels" -}}
{{ include "tollgate.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: tollgate
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "tollgate.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Values.nameOverride | default .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- end -}}

{{/* repository:tag or repository@digest; the tag defaults to the appVersion. Call with (dict "image" ... "root" $). */}}
{{- define "tollgate.image" -}}
{{- if .image.digest -}}
{{ .image.repository }}@{{ .image.digest }}
{{- else -}}
{{ .image.repository }}:{{ .image.tag | default .root.Chart.AppVersion }}
{{- end -}}
{{- end -}}

{{/* Whether the operator runs with leader election: asked for, or more than one replica. */}}
{{- define "tollgate.operator.leaderElection" -}}
{{- if or .Values.operator.leaderElection.enabled (gt (int .Values.operator.replicas) 1) -}}true{{- end -}}
{{- end -}}

{{/* The PodDisruptionBudget API of the cluster: policy/v1 from Kubernetes 1.21, policy/v1beta1 before. */}}
{{- define "tollgate.pdbApiVersion" -}}
{{- if .Capabilities.APIVersions.Has "policy/v1" -}}policy/v1{{- else -}}policy/v1beta1{{- end -}}
{{- end -}}

{{/*
What the operator calls, resource by resource (operator/src: informers list and watch; kube/client calls):
  canaries                   list, watch (informer); patch (finalizer, JSON patch)
  canaries/status            update (status PUT with a resourceVersion precondition)
  canaries/finalizers        update (owner references with blockOwnerDeletion, where that admission plugin runs)
  metrictemplates            list, watch (informer)
  alertproviders             list, watch (informer)
  prometheusservicelevels,   list, watch (informers, started by the first Canary whose analysis.slo names the kind:
  servicelevelobjectives     Sloth and Pyrra SLO definitions)
  deployments, daemonsets    list, watch (informers); create (the -primary copy); update (promotion); patch (scaling)
  statefulsets               list, watch (informer); patch (the partition); update (a rollback restores the template)
  controllerrevisions        get (a StatefulSet rollback reads the promoted template)
  horizontalpodautoscalers   list, watch; create, update (the -primary copy of autoscalerRef)
  scaledobjects (keda.sh)    list, watch; create, update (the -primary copy of autoscalerRef); patch (pausing the user's between runs)
  services                   list, watch; create, update (apex, -primary, -canary)
  pods                       list, watch (informer, metadata and status only: why the canary's or primary's pods are not ready); delete (a StatefulSet rollback replaces unready pods of the failed revision)
  secrets                    get (webhook secretRef, metric and alert credentials, content of a tracked Secret)
  configmaps                 list, watch; create, update (config tracking: -primary copies), only with configTracking;
                             get always (an OpenSLO document in a ConfigMap key, analysis.slo)
  secrets (tracked)          list, watch (metadata only); create, update (-primary copies): see secretTrackingRules
  events                     create, patch (count of a repeated Event)
  mesh objects               list, watch; create, update (ensure, restore adopted); delete (finalize)
  ingresses (nginx, skipper) list, watch (the Ingress of spec.ingressRef and its -canary clone); create, update, delete (the clone)
  upstreams (gloo)           also get (the Upstream of spec.upstreamRef, often in gloo-system)
  apisixroutes (apisix)      list, watch (the route of spec.routeRef and its clone); create, update, delete (the clone)
  trafficroutes (kuma)       cluster-scoped: effective only in the ClusterRole; with watchNamespaces a Role cannot grant
                             it, and the kuma provider needs a ClusterRole of your own for trafficroutes.kuma.io
  meshhttproutes (kuma)      namespaced, in the Canary's namespace (written where the cluster serves it, instead of trafficroutes)
  ingresses (alb)            list, watch, patch (the router's annotation keys, and A/B paths, of the Ingress of spec.ingressRef)
  mappings (emissary)        list, watch (the user's Mappings of service.mappings and their clones); create, update, delete (the clones)
  services (knative)         list, watch, update (spec.traffic of the target Knative Service); revisions: list, watch
Discovery (GET /apis/autoscaling) needs no rule (system:discovery). With watchNamespaces these rules go into a Role
per namespace.
*/}}
{{- define "tollgate.operator.rules" -}}
- apiGroups: [tollgate.dev]
  resources: [canaries]
  verbs: [list, watch, patch]
- apiGroups: [tollgate.dev]
  resources: [canaries/status, canaries/finalizers]
  verbs: [update]
- apiGroups: [tollgate.dev]
  resources: [metrictemplates, alertproviders]
  verbs: [list, watch]
- apiGroups: [sloth.slok.dev]
  resources: [prometheusservicelevels]
  verbs: [list, watch]
- apiGroups: [pyrra.dev]
  resources: [servicelevelobjectives]
  verbs: [list, watch]
- apiGroups: [apps]
  resources: [deployments, daemonsets]
  verbs: [list, watch, create, update, patch]
- apiGroups: [apps]
  resources: [statefulsets]
  verbs: [list, watch, update, patch]
- apiGroups: [apps]
  resources: [controllerrevisions]
  verbs: [get]
- apiGroups: [autoscaling]
  resources: [horizontalpodautoscalers]
  verbs: [list, watch, create, update]
- apiGroups: [keda.sh]
  resources: [scaledobjects]
  verbs: [list, watch, create, update, patch]
- apiGroups: [""]
  resources: [services]
  verbs: [list, watch, create, update]
- apiGroups: [""]
  resources: [pods]
  verbs: [list, watch, delete]
{{- if .Values.operator.configTracking }}
- apiGroups: [""]
  resources: [configmaps]
  verbs: [get, list, watch, create, update]
{{- else }}
- apiGroups: [""]
  resources: [configmaps]
  verbs: [get]
{{- end }}
- apiGroups: [""]
  resources: [secrets]
  verbs: [get]
- apiGroups: [""]
  resources: [events]
  verbs: [create, patch]
{{- $meshes := .Values.operator.rbac.meshes }}
{{- if has "istio" $meshes }}
- apiGroups: [networking.istio.io]
  resources: [virtualservices, destinationrules]
  verbs: [list, watch, create, update, delete]
{{- end }}
{{- if or (has "smi" $meshes) (has "linkerd" $meshes) }}
- apiGroups: [split.smi-spec.io]
  resources: [trafficsplits]
  verbs: [list, watch, create, update, delete]
{{- end }}
{{- if has "linkerd" $meshes }}
- apiGroups: [policy.linkerd.io]
  resources: [httproutes]
  verbs: [list, watch, create, update, delete]
{{- end }}
{{- if has "gatewayapi" $meshes }}
- apiGroups: [gateway.networking.k8s.io]
  resources: [httproutes]
  verbs: [list, watch, create, update, delete]
{{- end }}
{{- if has "appmesh" $meshes }}
- apiGroups: [appmesh.k8s.aws]
  resources: [virtualnodes, virtualrouters, virtualservices]
  verbs: [list, watch, create, update, delete]
{{- end }}
{{- $clones := or (has "nginx" $meshes) (has "skipper" $meshes) }}
{{- if or $clones (has "alb" $meshes) }}
- apiGroups: [networking.k8s.io]
  resources: [ingresses]
  verbs: [list, watch{{ if $clones }}, create, update, delete{{ end }}{{ if has "alb" $meshes }}, patch{{ end }}]
{{- end }}
{{- if has "contour" $meshes }}
- apiGroups: [projectcontour.io]
  resources: [httpproxies]
  verbs: [list, watch, create, update, delete]
{{- end }}
{{- if has "traefik" $meshes }}
- apiGroups: [traefik.io]
  resources: [traefikservices]
  verbs: [list, watch, create, update, delete]
{{- end }}
{{- if has "gloo" $meshes }}
- apiGroups: [gloo.solo.io]
  resources: [upstreams]
  verbs: [get, list, watch, create, update, delete]
- apiGroups: [gateway.solo.io]
  resources: [routetables]
  verbs: [list, watch, create, update, delete]
{{- end }}
{{- if has "apisix" $meshes }}
- apiGroups: [apisix.apache.org]
  resources: [apisixroutes]
  verbs: [list, watch, create, update, delete]
{{- end }}
{{- if has "kuma" $meshes }}
- apiGroups: [kuma.io]
  resources: [trafficroutes, meshhttproutes]
  verbs: [list, watch, create, update, delete]
{{- end }}
{{- if has "emissary" $meshes }}
- apiGroups: [getambassador.io]
  resources: [mappings]
  verbs: [list, watch, create, update, delete]
{{- end }}
{{- if has "knative" $meshes }}
- apiGroups: [serving.knative.dev]
  resources: [services]
  verbs: [list, watch, update]
- apiGroups: [serving.knative.dev]
  resources: [revisions]
  verbs: [list, watch]
{{- end }}
{{- end -}}

{{/*
Config tracking of Secrets, only in the namespaces where Secrets are tracked: list and watch (the operator
caches their metadata alone and gets the content of those a pod template uses), create and update (the
-primary copies). With watchNamespaces: in each watched namespace's Role. Without: in ClusterRole
<name>-secrets, bound in each of secretTrackingNamespaces (cluster-wide only for "*").
*/}}
{{- define "tollgate.operator.secretTrackingRules" -}}
- apiGroups: [""]
  resources: [secrets]
  verbs: [list, watch, create, update]
{{- end -}}

{{/* SECRET_TRACKING_NAMESPACES: where config tracking copies Secrets (the same namespaces the RBAC grants). */}}
{{- define "tollgate.operator.secretTracking" -}}
{{- $o := .Values.operator -}}
{{- if not $o.configTracking -}}none
{{- else if or $o.watchNamespaces (has "*" $o.secretTrackingNamespaces) -}}*
{{- else if $o.secretTrackingNamespaces -}}{{ join "," $o.secretTrackingNamespaces }}
{{- else -}}none
{{- end -}}
{{- end -}}

{{/* The hooks' gate store: ConfigMaps in the gate namespace (hooks/README.md). */}}
{{- define "tollgate.hooks.rules" -}}
- apiGroups: [""]
  resources: [configmaps]
  verbs: [get, list, watch, create, update]
{{- end -}}

{{/* A container's /tmp: the root filesystem is read-only. */}}
{{- define "tollgate.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: 256Mi
{{- end -}}
