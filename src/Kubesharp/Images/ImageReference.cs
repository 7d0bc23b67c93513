namespace Kubesharp.Images;

/// <summary>
/// A fully qualified image reference, <c>HOST[:PORT]/PATH:TAG</c>. The CRI resolves only fully qualified names:
/// an image imported as <c>local/x:1</c> is listed by <c>ctr</c> but reported as not found through the CRI, so a
/// name without a registry host is refused here rather than normalised to docker.io behind the user's back.
/// </summary>
internal sealed record ImageReference(string Registry, string Repository, string Tag)
{
    /// <summary>The full reference, as containerd names the image: <c>127.0.0.1:5000/library/busybox:1.35</c>.</summary>
    public string FullName => $"{Registry}/{Repository}:{Tag}";

    public override string ToString() => FullName;

    /// <summary>Parses <paramref name="value"/>; a missing tag means <c>latest</c>, as for docker and the kubelet.</summary>
    /// <exception cref="FormatException">The name is not a fully qualified, tagged reference.</exception>
    public static ImageReference Parse(string value)
    {
        if (value.Contains('@', StringComparison.Ordinal))
        {
            throw new FormatException($"image name \"{value}\" carries a digest; an archive is named by a tag");
        }

        var slash = value.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0)
        {
            throw new FormatException($"image name \"{value}\" is not fully qualified (the CRI finds no short names); write e.g. 127.0.0.1:5000/library/{value}");
        }

        var registry = value[..slash];
        // The first component is a registry host only when it looks like one, as docker's reference grammar decides.
        if (registry != "localhost" && !registry.Contains('.', StringComparison.Ordinal) && !registry.Contains(':', StringComparison.Ordinal))
        {
            throw new FormatException($"image name \"{value}\" is not fully qualified: \"{registry}\" is no registry host; write e.g. 127.0.0.1:5000/{value}");
        }

        var rest = value[(slash + 1)..];
        var lastSlash = rest.LastIndexOf('/');
        var colon = rest.LastIndexOf(':');
        var repository = colon > lastSlash ? rest[..colon] : rest;
        var tag = colon > lastSlash ? rest[(colon + 1)..] : "latest";
        if (repository.Length == 0 || repository.Split('/').Any(c => c.Length == 0 || !c.All(IsRepositoryChar)) || repository.Any(char.IsUpper))
        {
            throw new FormatException($"image name \"{value}\" has an invalid repository \"{repository}\" (lower-case letters, digits, '.', '_', '-', separated by '/')");
        }

        if (tag.Length is 0 or > 128 || !tag.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-') || tag[0] is '.' or '-')
        {
            throw new FormatException($"image name \"{value}\" has an invalid tag \"{tag}\"");
        }

        return new ImageReference(registry, repository, tag);
    }

    private static bool IsRepositoryChar(char c) => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '_' or '-';
}
