using System.Text;
using System.Xml;
using System.Xml.Linq;
using k8s.Models;

namespace Kubesharp.Api.Schema.Models;

/// <summary>
/// The descriptions of the model classes and their properties, read from the package's XML documentation
/// file (<c>KubernetesClient.xml</c>, copied beside the assembly by the build): upstream's field comments,
/// as the package generated them from the OpenAPI documents. Read once, on first use, and kept for the
/// process; thread-safe. Without the file every description is null.
/// </summary>
internal static class ModelDocs
{
    private static readonly Lazy<IReadOnlyDictionary<string, string>> Members = new(Load);

    /// <summary>The file the descriptions were read from, or null when none was found.</summary>
    public static string? SourcePath { get; private set; }

    public static string? Type(Type type) => Members.Value.GetValueOrDefault("T:" + type.FullName);

    public static string? Property(Type declaringType, string propertyName) =>
        Members.Value.GetValueOrDefault($"P:{declaringType.FullName}.{propertyName}");

    /// <summary>True when the documentation file was found and read.</summary>
    public static bool Available => Members.Value.Count > 0;

    private static Dictionary<string, string> Load()
    {
        var assembly = typeof(V1Pod).Assembly;
        var candidates = new[]
        {
            Path.ChangeExtension(assembly.Location, ".xml"),
            Path.Combine(AppContext.BaseDirectory, Path.GetFileNameWithoutExtension(assembly.Location) + ".xml"),
        };
        var path = candidates.FirstOrDefault(p => p.Length > 4 && File.Exists(p));
        if (path is null)
        {
            return new Dictionary<string, string>();
        }

        var members = new Dictionary<string, string>(StringComparer.Ordinal);
        using var reader = XmlReader.Create(path, new XmlReaderSettings { IgnoreComments = true, IgnoreWhitespace = true });
        reader.MoveToContent();
        while (!reader.EOF)
        {
            if (reader.NodeType != XmlNodeType.Element || reader.Name != "member")
            {
                reader.Read();
                continue;
            }

            var name = reader.GetAttribute("name");
            if (name is null || !(name.StartsWith("T:k8s.Models.", StringComparison.Ordinal) || name.StartsWith("P:k8s.Models.", StringComparison.Ordinal)))
            {
                reader.Skip();
                continue;
            }

            // ReadFrom leaves the reader on the node after the member, which the loop then looks at.
            if (XNode.ReadFrom(reader) is XElement member && member.Element("summary") is { } summary)
            {
                members[name] = Normalize(summary.Value);
            }
        }

        SourcePath = path;
        return members;
    }

    /// <summary>
    /// The generator wrapped the text at 80 columns: lines of a paragraph are joined with a space, and
    /// paragraphs (blank lines) are kept as upstream's "\n\n".
    /// </summary>
    internal static string Normalize(string text)
    {
        var result = new StringBuilder(text.Length);
        var blank = false;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0)
            {
                blank = result.Length > 0;
                continue;
            }

            if (result.Length > 0)
            {
                result.Append(blank ? "\n\n" : " ");
            }

            result.Append(line);
            blank = false;
        }

        return result.ToString();
    }
}
