using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Kubesharp.Controllers.Dynamic;

/// <summary>
/// Any object reduced to its type and metadata (upstream's <c>PartialObjectMetadata</c>): what the garbage
/// collector and the namespace controller need of objects whose kinds they know only from discovery. Reading a
/// full object into it keeps only these fields. List items often come without apiVersion and kind; whoever
/// lists them sets both from the resource they listed.
/// </summary>
public sealed class PartialObject : IKubernetesObject<V1ObjectMeta>
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = "";

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "";

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();
}
