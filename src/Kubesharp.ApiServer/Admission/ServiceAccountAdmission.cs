using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Kubesharp.Api.Errors;
using Kubesharp.ApiServer.Auth;

namespace Kubesharp.ApiServer.Admission;

/// <summary>
/// Upstream's ServiceAccount admission plugin, for new pods: a pod without <c>serviceAccountName</c>
/// gets <c>default</c>; the account must exist; unless the pod or the account turns automounting off,
/// the pod gets the projected <c>kube-api-access-XXXXX</c> volume (a bound token, the cluster CA from
/// the <c>kube-root-ca.crt</c> ConfigMap, the namespace) mounted read-only at
/// <c>/var/run/secrets/kubernetes.io/serviceaccount</c> in every container that has nothing there.
/// Mirror pods (static pods of a kubelet) may not use a service account at all.
/// </summary>
internal sealed class ServiceAccountAdmission(ClusterObjectReader reader, bool requireAccount = true) : IAdmissionPlugin
{
    public const string MountPath = "/var/run/secrets/kubernetes.io/serviceaccount";
    private const string MirrorAnnotation = "kubernetes.io/config.mirror";

    // Upstream's utilrand alphabet: no vowels, no confusable digits.
    private const string Alphabet = "bcdfghjklmnpqrstvwxz2456789";

    public async ValueTask AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        if (request.Operation != AdmissionOperation.Create || request.Subresource.Length > 0 || request.Resource.Group.Length > 0 || request.Resource.Plural != "pods" || request.Object is not { } pod)
        {
            return;
        }

        var spec = pod["spec"] as JsonObject ?? [];
        pod["spec"] = spec;
        if ((pod["metadata"]?["annotations"] as JsonObject)?.ContainsKey(MirrorAnnotation) == true)
        {
            if (Text(spec["serviceAccountName"]) is { Length: > 0 })
            {
                throw Forbidden(request, "a mirror pod may not reference service accounts");
            }

            return;
        }

        var accountName = Text(spec["serviceAccountName"]) is { Length: > 0 } given ? given : "default";
        spec["serviceAccountName"] = accountName;
        var account = await reader.GetServiceAccountAsync(request.Namespace, accountName, cancellationToken);
        if (account is null && requireAccount)
        {
            throw Forbidden(request, $"error looking up service account {request.Namespace}/{accountName}: serviceaccount \"{accountName}\" not found");
        }

        var podAutomount = spec["automountServiceAccountToken"] is JsonValue v && v.TryGetValue<bool>(out var b) ? b : (bool?)null;
        if (podAutomount == false || (podAutomount is null && account?.AutomountServiceAccountToken == false))
        {
            return;
        }

        var volumes = spec["volumes"] as JsonArray ?? [];
        spec["volumes"] = volumes;
        var volumeName = ExistingVolume(volumes) ?? AddVolume(volumes);
        foreach (var list in (string[])["initContainers", "containers"])
        {
            if (spec[list] is not JsonArray containers)
            {
                continue;
            }

            foreach (var container in containers.OfType<JsonObject>())
            {
                var mounts = container["volumeMounts"] as JsonArray ?? [];
                if (mounts.OfType<JsonObject>().Any(m => Text(m["mountPath"]) == MountPath))
                {
                    continue;
                }

                mounts.Add(new JsonObject { ["name"] = volumeName, ["readOnly"] = true, ["mountPath"] = MountPath });
                container["volumeMounts"] = mounts;
            }
        }
    }

    private static string? ExistingVolume(JsonArray volumes) =>
        volumes.OfType<JsonObject>().Select(v => Text(v["name"])).FirstOrDefault(n => n is not null && n.StartsWith("kube-api-access-", StringComparison.Ordinal));

    private static string AddVolume(JsonArray volumes)
    {
        var name = "kube-api-access-" + RandomSuffix();
        volumes.Add(new JsonObject
        {
            ["name"] = name,
            ["projected"] = new JsonObject
            {
                ["sources"] = new JsonArray
                {
                    new JsonObject { ["serviceAccountToken"] = new JsonObject { ["expirationSeconds"] = 3607, ["path"] = "token" } },
                    new JsonObject
                    {
                        ["configMap"] = new JsonObject
                        {
                            ["name"] = "kube-root-ca.crt",
                            ["items"] = new JsonArray { new JsonObject { ["key"] = "ca.crt", ["path"] = "ca.crt" } },
                        },
                    },
                    new JsonObject
                    {
                        ["downwardAPI"] = new JsonObject
                        {
                            ["items"] = new JsonArray
                            {
                                new JsonObject
                                {
                                    ["path"] = "namespace",
                                    ["fieldRef"] = new JsonObject { ["apiVersion"] = "v1", ["fieldPath"] = "metadata.namespace" },
                                },
                            },
                        },
                    },
                },
                ["defaultMode"] = 420,
            },
        });
        return name;
    }

    private static string RandomSuffix() => string.Create(5, 0, (span, _) =>
    {
        for (var i = 0; i < span.Length; i++)
        {
            span[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        }
    });

    private static StatusException Forbidden(AdmissionRequest request, string why) =>
        StatusException.ForbiddenRequest(request.Resource.Group, request.Resource.Plural, request.Name, why);

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
