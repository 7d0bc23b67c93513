using System.Text.Json;
using System.Text.Json.Nodes;
using Kubesharp.Api.Selectors;

namespace Kubesharp.Api.Validation;

/// <summary>
/// Upstream's <c>pkg/apis/apps/validation</c> (Deployment, ReplicaSet, StatefulSet, DaemonSet) and core's
/// ReplicationController rules on JSON: replicas, selectors against template labels, strategies, the
/// template's restart policy.
/// </summary>
internal static class WorkloadValidation
{
    public static void Deployment(JsonObject obj, Causes causes)
    {
        var spec = Json.Obj(obj, "spec") ?? [];
        NonNegative(spec, "replicas", "spec", causes);
        var selectorOk = Selector(spec, "deployment", causes);
        TemplateForReplicaSet(spec, selectorOk, "Deployment", causes);
        Strategy(Json.Obj(spec, "strategy"), causes);
        NonNegative(spec, "minReadySeconds", "spec", causes);
        NonNegative(spec, "revisionHistoryLimit", "spec", causes);
        if (Json.Int(spec, "progressDeadlineSeconds") is { } deadline)
        {
            NonNegative(spec, "progressDeadlineSeconds", "spec", causes);
            if (deadline <= (Json.Int(spec, "minReadySeconds") ?? 0))
            {
                causes.Invalid("spec.progressDeadlineSeconds", deadline, "must be greater than minReadySeconds");
            }
        }
    }

    public static void ReplicaSet(JsonObject obj, Causes causes)
    {
        var spec = Json.Obj(obj, "spec") ?? [];
        NonNegative(spec, "replicas", "spec", causes);
        NonNegative(spec, "minReadySeconds", "spec", causes);
        // Upstream's ReplicaSet message says "deployment" too.
        var selectorOk = Selector(spec, "deployment", causes);
        TemplateForReplicaSet(spec, selectorOk, "ReplicaSet", causes);
    }

    public static void StatefulSet(JsonObject obj, Causes causes)
    {
        var spec = Json.Obj(obj, "spec") ?? [];
        var policy = Json.S(spec, "podManagementPolicy");
        if (policy.Length == 0)
        {
            causes.Required("spec.podManagementPolicy");
        }
        else if (policy is not ("OrderedReady" or "Parallel"))
        {
            causes.Invalid("spec.podManagementPolicy", policy, "must be 'OrderedReady' or 'Parallel'");
        }

        var strategy = Json.Obj(spec, "updateStrategy");
        var type = Json.S(strategy, "type");
        switch (type)
        {
            case "":
                causes.Required("spec.updateStrategy");
                break;
            case "OnDelete":
                if (Json.Obj(strategy, "rollingUpdate") is { } onDeleteRolling)
                {
                    causes.Invalid("spec.updateStrategy.rollingUpdate", new GoLiteral(RollingUpdateLiteral(onDeleteRolling)), "only allowed for updateStrategy 'RollingUpdate'");
                }

                break;
            case "RollingUpdate":
                if (Json.Obj(strategy, "rollingUpdate") is { } rolling)
                {
                    NonNegative(rolling, "partition", "spec.updateStrategy.rollingUpdate", causes);
                    if (Json.Has(rolling, "maxUnavailable"))
                    {
                        var at = "spec.updateStrategy.rollingUpdate.maxUnavailable";
                        IntOrPercent(rolling, "maxUnavailable", at, causes);
                        if (IntOrPercentValue(rolling, "maxUnavailable") == 0)
                        {
                            causes.Invalid(at, IntOrStringValue(rolling["maxUnavailable"]), "cannot be 0");
                        }

                        NotMoreThan100Percent(rolling, "maxUnavailable", at, causes);
                    }
                }

                break;
            default:
                causes.Invalid("spec.updateStrategy", new GoLiteral($"apps.StatefulSetUpdateStrategy{{Type:{GoText.Quote(type)}, RollingUpdate:(*apps.RollingUpdateStatefulSetStrategy)(nil)}}"), "must be 'RollingUpdate' or 'OnDelete'");
                break;
        }

        if (Json.Obj(spec, "persistentVolumeClaimRetentionPolicy") is { } retention)
        {
            foreach (var field in new[] { "whenDeleted", "whenScaled" })
            {
                var value = Json.S(retention, field);
                if (value is not ("Retain" or "Delete"))
                {
                    causes.NotSupported($"spec.persistentVolumeClaimRetentionPolicy.{field}", value, "Retain", "Delete");
                }
            }
        }

        NonNegative(spec, "replicas", "spec", causes);
        NonNegative(spec, "minReadySeconds", "spec", causes);
        if (Json.Obj(spec, "ordinals") is { } ordinals && Json.Int(ordinals, "start") is < 0 and var start)
        {
            causes.Invalid("spec.ordinals.start", start, "must be greater than or equal to 0");
        }

        var selectorOk = Selector(spec, "statefulset", causes);
        var template = Json.Obj(spec, "template");
        if (selectorOk is { } selector && !selector.IsEmpty)
        {
            TemplateLabelsMatch(selector, template, "spec.template", causes);
        }

        // Upstream validates only the template's labels and annotations for a StatefulSet, not its pod spec.
        var meta = Json.Obj(template, "metadata");
        MetaValidation.Labels(Json.StringMap(meta, "labels"), "spec.template.labels", causes);
        MetaValidation.Annotations(Json.StringMap(meta, "annotations"), "spec.template.annotations", causes);
        var restart = Json.S(Json.Obj(template, "spec"), "restartPolicy");
        if (restart != "Always")
        {
            causes.NotSupported("spec.template.spec.restartPolicy", restart, "Always");
        }

        if (Json.Has(Json.Obj(template, "spec"), "activeDeadlineSeconds"))
        {
            causes.Forbidden("spec.template.spec.activeDeadlineSeconds", "activeDeadlineSeconds in StatefulSet is not Supported");
        }

        foreach (var (i, claim) in Json.Items(spec, "volumeClaimTemplates"))
        {
            ClusterValidation.ClaimSpec(Json.Obj(claim, "spec") ?? [], $"spec.volumeClaimTemplates[{i}].spec", causes);
        }
    }

    public static void DaemonSet(JsonObject obj, Causes causes)
    {
        var spec = Json.Obj(obj, "spec") ?? [];
        var selectorJson = Json.Obj(spec, "selector");
        MetaValidation.LabelSelector(selectorJson, "spec.selector", causes);
        var template = Json.Obj(spec, "template");
        if (ToSelector(selectorJson) is { } selector && !selector.Matches(TemplateLabels(template)))
        {
            causes.Invalid("spec.template.metadata.labels", TemplateLabelsLiteral(template), "`selector` does not match template `labels`");
        }

        if (selectorJson is not null && Json.Obj(selectorJson, "matchLabels") is not { Count: > 0 } && Json.Arr(selectorJson, "matchExpressions") is not { Count: > 0 })
        {
            causes.Invalid("spec.selector", new GoLiteral(MetaValidation.SelectorLiteral(selectorJson)), "empty selector is invalid for daemonset");
        }

        PodValidation.Template(template, "spec.template", causes);
        RestartAlways(template, "DaemonSet", causes);
        NonNegative(spec, "minReadySeconds", "spec", causes);
        NonNegative(spec, "templateGeneration", "spec", causes);
        var strategy = Json.Obj(spec, "updateStrategy");
        var type = Json.S(strategy, "type");
        switch (type)
        {
            case "OnDelete":
                break;
            case "RollingUpdate":
                if (Json.Obj(strategy, "rollingUpdate") is not { } rolling)
                {
                    causes.Required("spec.updateStrategy.rollingUpdate");
                    break;
                }

                const string At = "spec.updateStrategy.rollingUpdate";
                IntOrPercent(rolling, "maxUnavailable", At + ".maxUnavailable", causes);
                IntOrPercent(rolling, "maxSurge", At + ".maxSurge", causes);
                NotMoreThan100Percent(rolling, "maxUnavailable", At + ".maxUnavailable", causes);
                NotMoreThan100Percent(rolling, "maxSurge", At + ".maxSurge", causes);
                var hasUnavailable = IntOrPercentValue(rolling, "maxUnavailable") != 0;
                var hasSurge = IntOrPercentValue(rolling, "maxSurge") != 0;
                if (hasUnavailable && hasSurge)
                {
                    causes.Invalid(At + ".maxSurge", IntOrStringValue(rolling["maxSurge"]), "may not be set when maxUnavailable is non-zero");
                }
                else if (!hasUnavailable && !hasSurge)
                {
                    causes.Required(At + ".maxUnavailable", "cannot be 0 when maxSurge is 0");
                }

                break;
            default:
                causes.NotSupported("spec.updateStrategy", new GoLiteral($"apps.DaemonSetUpdateStrategy{{Type:{GoText.Quote(type)}, RollingUpdate:(*apps.RollingUpdateDaemonSet)(nil)}}"), "RollingUpdate", "OnDelete");
                break;
        }

        NonNegative(spec, "revisionHistoryLimit", "spec", causes);
    }

    public static void ReplicationController(JsonObject obj, Causes causes)
    {
        var spec = Json.Obj(obj, "spec") ?? [];
        NonNegative(spec, "minReadySeconds", "spec", causes);
        var selector = Json.StringMap(spec, "selector");
        if (selector.Count == 0)
        {
            causes.Required("spec.selector");
        }

        NonNegative(spec, "replicas", "spec", causes);
        var template = Json.Obj(spec, "template");
        if (template is null)
        {
            causes.Required("spec.template");
            return;
        }

        if (selector.Count > 0 && !LabelSelector.FromSet(selector.ToDictionary(p => p.Key, p => p.Value)).Matches(TemplateLabels(template)))
        {
            causes.Invalid("spec.template.metadata.labels", TemplateLabelsLiteral(template), "`selector` does not match template `labels`");
        }

        PodValidation.Template(template, "spec.template", causes);
        RestartAlways(template, "ReplicationController", causes);
    }

    /// <summary>The selector of a workload: required, valid, non-empty; returns it when it can be used for matching.</summary>
    private static LabelSelector? Selector(JsonObject spec, string kindWord, Causes causes)
    {
        if (Json.Obj(spec, "selector") is not { } selector)
        {
            causes.Required("spec.selector");
            return null;
        }

        var before = causes.Count;
        MetaValidation.LabelSelector(selector, "spec.selector", causes);
        if (Json.Obj(selector, "matchLabels") is not { Count: > 0 } && Json.Arr(selector, "matchExpressions") is not { Count: > 0 })
        {
            causes.Invalid("spec.selector", new GoLiteral(MetaValidation.SelectorLiteral(selector)), $"empty selector is invalid for {kindWord}");
        }

        return causes.Count == before ? ToSelector(selector) : null;
    }

    private static LabelSelector? ToSelector(JsonObject? selector)
    {
        if (selector is null)
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(selector.ToJsonString());
            return LabelSelector.FromJson(doc.RootElement);
        }
        catch (Errors.StatusException)
        {
            return null;
        }
    }

    /// <summary>Upstream's <c>ValidatePodTemplateSpecForReplicaSet</c>.</summary>
    private static void TemplateForReplicaSet(JsonObject spec, LabelSelector? selector, string kind, Causes causes)
    {
        if (Json.Obj(spec, "template") is not { } template)
        {
            causes.Required("spec.template");
            return;
        }

        if (selector is { IsEmpty: false })
        {
            TemplateLabelsMatch(selector, template, "spec.template", causes);
        }

        PodValidation.Template(template, "spec.template", causes);
        RestartAlways(template, kind, causes);
    }

    private static void TemplateLabelsMatch(LabelSelector selector, JsonObject? template, string path, Causes causes)
    {
        if (!selector.Matches(TemplateLabels(template)))
        {
            causes.Invalid(path + ".metadata.labels", TemplateLabelsLiteral(template), "`selector` does not match template `labels`");
        }
    }

    private static void RestartAlways(JsonObject? template, string kind, Causes causes)
    {
        var spec = Json.Obj(template, "spec");
        var restart = Json.S(spec, "restartPolicy");
        if (restart != "Always")
        {
            causes.NotSupported("spec.template.spec.restartPolicy", restart, "Always");
        }

        if (Json.Has(spec, "activeDeadlineSeconds"))
        {
            causes.Forbidden("spec.template.spec.activeDeadlineSeconds", $"activeDeadlineSeconds in {kind} is not Supported");
        }
    }

    public static Dictionary<string, string> TemplateLabels(JsonObject? template) =>
        Json.StringMap(Json.Obj(template, "metadata"), "labels").GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal);

    public static GoLiteral TemplateLabelsLiteral(JsonObject? template) =>
        Json.Obj(Json.Obj(template, "metadata"), "labels") is null
            ? new GoLiteral("map[string]string(nil)")
            : new GoLiteral(MetaValidation.MapLiteral(TemplateLabels(template)));

    private static void Strategy(JsonObject? strategy, Causes causes)
    {
        var type = Json.S(strategy, "type");
        switch (type)
        {
            case "Recreate":
                if (Json.Has(strategy, "rollingUpdate"))
                {
                    causes.Forbidden("spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'");
                }

                break;
            case "RollingUpdate":
                if (Json.Obj(strategy, "rollingUpdate") is not { } rolling)
                {
                    causes.Required("spec.strategy.rollingUpdate", "this should be defaulted and never be nil");
                    break;
                }

                const string At = "spec.strategy.rollingUpdate";
                IntOrPercent(rolling, "maxUnavailable", At + ".maxUnavailable", causes);
                IntOrPercent(rolling, "maxSurge", At + ".maxSurge", causes);
                if (IntOrPercentValue(rolling, "maxUnavailable") == 0 && IntOrPercentValue(rolling, "maxSurge") == 0)
                {
                    causes.Invalid(At + ".maxUnavailable", IntOrStringValue(rolling["maxUnavailable"]), "may not be 0 when `maxSurge` is 0");
                }

                NotMoreThan100Percent(rolling, "maxUnavailable", At + ".maxUnavailable", causes);
                break;
            default:
                causes.NotSupported("spec.strategy", new GoLiteral($"apps.DeploymentStrategy{{Type:{GoText.Quote(type)}, RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}}"), "Recreate", "RollingUpdate");
                break;
        }
    }

    /// <summary>Upstream's <c>ValidatePositiveIntOrPercent</c>.</summary>
    private static void IntOrPercent(JsonObject owner, string field, string path, Causes causes)
    {
        var (number, text) = Json.IntOrString(owner, field);
        if (text is not null)
        {
            causes.InvalidEach(path, IntOrStringValue(owner[field]), Formats.Percent(text));
        }
        else if (number is < 0)
        {
            causes.Invalid(path, number.Value, "must be greater than or equal to 0");
        }
    }

    private static void NotMoreThan100Percent(JsonObject owner, string field, string path, Causes causes)
    {
        var (_, text) = Json.IntOrString(owner, field);
        if (text is not null && Formats.Percent(text).Count == 0 && long.TryParse(text.AsSpan(0, text.Length - 1), System.Globalization.CultureInfo.InvariantCulture, out var percent) && percent > 100)
        {
            causes.Invalid(path, IntOrStringValue(owner[field]), "must not be greater than 100%");
        }
    }

    private static long IntOrPercentValue(JsonObject owner, string field)
    {
        var (number, text) = Json.IntOrString(owner, field);
        if (text is not null)
        {
            return Formats.Percent(text).Count == 0 && long.TryParse(text.AsSpan(0, text.Length - 1), System.Globalization.CultureInfo.InvariantCulture, out var p) ? p : 0;
        }

        return number ?? 0;
    }

    /// <summary>
    /// An IntOrString as upstream v1.32 prints a bad one: Go's <c>%#v</c> of the struct (its <c>String()</c> is on
    /// the pointer, which upstream's field errors do not look for).
    /// </summary>
    public static GoLiteral IntOrStringValue(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String
            ? new($"intstr.IntOrString{{Type:1, IntVal:0, StrVal:{GoText.Quote(v.GetValue<string>())}}}")
            : new($"intstr.IntOrString{{Type:0, IntVal:{Json.Integer(node) ?? 0}, StrVal:\"\"}}");

    private static string RollingUpdateLiteral(JsonObject rolling) =>
        $"&apps.RollingUpdateStatefulSetStrategy{{Partition:{Json.Int(rolling, "partition") ?? 0}, MaxUnavailable:(*intstr.IntOrString)(nil)}}";

    public static void NonNegative(JsonObject owner, string field, string path, Causes causes)
    {
        if (Json.Int(owner, field) is < 0 and var value)
        {
            causes.Invalid($"{path}.{field}", value, "must be greater than or equal to 0");
        }
    }
}
