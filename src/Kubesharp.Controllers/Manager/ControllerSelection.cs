namespace Kubesharp.Controllers.Manager;

/// <summary>
/// Upstream's <c>--controllers</c> rules (IsControllerEnabled): the first entry that names a controller decides
/// (<c>foo</c> on, <c>-foo</c> off); otherwise <c>*</c> turns on every controller enabled by default; without
/// <c>*</c>, nothing else runs. Old names are aliases of the canonical ones. Unknown names are an error, as upstream.
/// </summary>
public static class ControllerSelection
{
    /// <exception cref="ArgumentException">An entry names no known controller.</exception>
    public static IReadOnlyList<ControllerDescriptor> Select(IReadOnlyList<string> entries, IReadOnlyList<ControllerDescriptor> known, IReadOnlyDictionary<string, string> aliases)
    {
        var names = known.Select(d => d.Name).ToHashSet(StringComparer.Ordinal);
        var normalized = new List<string>();
        foreach (var raw in entries.SelectMany(e => e.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            if (raw == "*")
            {
                normalized.Add(raw);
                continue;
            }

            var disable = raw.StartsWith('-');
            var name = disable ? raw[1..] : raw;
            name = aliases.TryGetValue(name, out var canonical) ? canonical : name;
            if (!names.Contains(name))
            {
                throw new ArgumentException($"\"{name}\" is not in the list of known controllers: {string.Join(", ", names.Order(StringComparer.Ordinal))}");
            }

            normalized.Add(disable ? "-" + name : name);
        }

        return [.. known.Where(d => IsEnabled(d.Name, normalized))];
    }

    public static bool IsEnabled(string name, IReadOnlyList<string> entries)
    {
        var star = false;
        foreach (var entry in entries)
        {
            if (entry == name)
            {
                return true;
            }

            if (entry == "-" + name)
            {
                return false;
            }

            star |= entry == "*";
        }

        return star;
    }
}
