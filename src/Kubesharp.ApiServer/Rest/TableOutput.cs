using System.Text.Json;
using System.Text.Json.Nodes;
using Kubesharp.Api.Printing;
using Kubesharp.Api.Resources;
using Microsoft.AspNetCore.Http;

namespace Kubesharp.ApiServer.Rest;

/// <summary>
/// The <c>meta.k8s.io/v1 Table</c> form of objects and lists, when the Accept header asks for it
/// (notes/KUBECTL.md 2.5): upstream's columns per kind, each row with the object's metadata
/// (<c>includeObject=Metadata</c>, the default), the whole object (<c>Object</c>) or nothing (<c>None</c>).
/// </summary>
internal static class TableOutput
{
    public const string ContentType = "application/json;as=Table;v=v1;g=meta.k8s.io";

    public static bool Wanted(HttpRequest request)
    {
        var accept = request.Headers.Accept.ToString();
        return accept.Contains("as=Table", StringComparison.Ordinal) && accept.Contains("g=meta.k8s.io", StringComparison.Ordinal);
    }

    /// <summary>Writes a Table of <paramref name="objects"/>; the column definitions only when <paramref name="withColumns"/>.</summary>
    public static void Write(Utf8JsonWriter w, ResourceInfo resource, IEnumerable<JsonObject> objects, string? resourceVersion, string? continueToken, string includeObject, DateTimeOffset now, bool withColumns = true)
    {
        w.WriteStartObject();
        w.WriteString("kind", "Table");
        w.WriteString("apiVersion", "meta.k8s.io/v1");
        w.WriteStartObject("metadata");
        if (resourceVersion is not null)
        {
            w.WriteString("resourceVersion", resourceVersion);
        }

        if (continueToken is not null)
        {
            w.WriteString("continue", continueToken);
        }

        w.WriteEndObject();
        w.WriteStartArray("columnDefinitions");
        if (withColumns)
        {
            foreach (var c in resource.Custom?.Columns ?? TablePrinter.Columns(resource))
            {
                w.WriteStartObject();
                w.WriteString("name", c.Name);
                w.WriteString("type", c.Type);
                w.WriteString("format", c.Format);
                w.WriteString("description", c.Description);
                w.WriteNumber("priority", c.Priority);
                w.WriteEndObject();
            }
        }

        w.WriteEndArray();
        w.WriteStartArray("rows");
        foreach (var obj in objects)
        {
            using var doc = JsonDocument.Parse(JsonSerializer.SerializeToUtf8Bytes(obj));
            w.WriteStartObject();
            w.WriteStartArray("cells");
            // Custom resources print their CRD's columns, whose cells may also be numbers or null.
            IReadOnlyList<object?> cells = resource.Custom is { } custom ? custom.Cells(doc.RootElement, now) : TablePrinter.Cells(resource, doc.RootElement, now);
            foreach (var cell in cells)
            {
                switch (cell)
                {
                    case null: w.WriteNullValue(); break;
                    case double d: w.WriteNumberValue(d); break;
                    case string s: w.WriteStringValue(s); break;
                    case long l: w.WriteNumberValue(l); break;
                    case bool b: w.WriteBooleanValue(b); break;
                    default: w.WriteStringValue(cell.ToString()); break;
                }
            }

            w.WriteEndArray();
            switch (includeObject)
            {
                case "None":
                    break;
                case "Object":
                    w.WritePropertyName("object");
                    obj.WriteTo(w);
                    break;
                default:
                    w.WriteStartObject("object");
                    w.WriteString("kind", "PartialObjectMetadata");
                    w.WriteString("apiVersion", "meta.k8s.io/v1");
                    w.WritePropertyName("metadata");
                    (obj["metadata"] ?? new JsonObject()).WriteTo(w);
                    w.WriteEndObject();
                    break;
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }
}
