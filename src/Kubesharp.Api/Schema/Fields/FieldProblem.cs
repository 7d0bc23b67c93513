using System.Globalization;
using System.Text;
using Kubesharp.Api.Selectors;

namespace Kubesharp.Api.Schema.Fields;

/// <summary>What is wrong with a field of a request body.</summary>
public enum FieldProblemKind
{
    /// <summary>The schema has no such field: the typed decoder drops it.</summary>
    Unknown,

    /// <summary>The field appears twice in one object: the decoder keeps the last.</summary>
    Duplicate,

    /// <summary>The value has the wrong JSON type for the field: the typed decoder refuses the whole body.</summary>
    WrongType,
}

/// <summary>
/// One unknown or duplicate field, at a path made of property names and list indexes. <see cref="Message"/> is
/// upstream's strict-decoding text: <c>unknown field "spec.containers[0].imagePullPolcy"</c>,
/// <c>duplicate field "metadata.name"</c>.
/// </summary>
public sealed class FieldProblem(FieldProblemKind kind, IReadOnlyList<object> segments, string? detail = null)
{
    public FieldProblemKind Kind { get; } = kind;

    /// <summary>Each a <see cref="string"/> (a property or map key) or an <see cref="int"/> (a list index).</summary>
    public IReadOnlyList<object> Segments { get; } = segments;

    /// <summary>Go's field path: names joined with dots, indexes in brackets.</summary>
    public string Path
    {
        get
        {
            var text = new StringBuilder();
            foreach (var segment in Segments)
            {
                if (segment is int index)
                {
                    text.Append('[').Append(index.ToString(CultureInfo.InvariantCulture)).Append(']');
                    continue;
                }

                if (text.Length > 0)
                {
                    text.Append('.');
                }

                text.Append((string)segment);
            }

            return text.ToString();
        }
    }

    /// <summary>
    /// Upstream's text: the strict decoder's for unknown and duplicate fields; for a wrong type, Go's
    /// <c>json: cannot unmarshal bool into Go struct field ObjectMeta.metadata.labels of type string</c>.
    /// </summary>
    public string Message => Kind switch
    {
        FieldProblemKind.WrongType => detail!,
        FieldProblemKind.Unknown => $"unknown field {GoText.Quote(Path)}",
        _ => $"duplicate field {GoText.Quote(Path)}",
    };

    public override string ToString() => Message;
}
