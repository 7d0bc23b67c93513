using System.Xml.Linq;

namespace Kubesharp.Architecture.Tests;

/// <summary>
/// The one boundary of ARCHITECTURE.md: only the API server touches storage. Read from the project
/// files themselves, so that a new reference fails the build's tests, not a review.
/// </summary>
public sealed class ProjectReferenceTests
{
    // The binary is the composition root: it parses --datastore and hands the store to the API server.
    private static readonly HashSet<string> MayReferenceStorage = new(StringComparer.Ordinal)
    {
        "Kubesharp.ApiServer",
        "Kubesharp",
    };

    private static readonly string Root = FindRoot();

    [Fact]
    public void Only_the_api_server_and_the_composition_root_reference_storage()
    {
        var offenders = SourceProjects()
            .Where(p => !MayReferenceStorage.Contains(p.Name) && References(p.Path).Contains("Kubesharp.Storage"))
            .Select(p => p.Name)
            .ToList();

        Assert.True(offenders.Count == 0, $"these projects reference Kubesharp.Storage but only the API server may: {string.Join(", ", offenders)}");
    }

    [Fact]
    public void Only_the_composition_root_references_the_api_server()
    {
        // Components reach the API server over HTTP only, even in-process (the controller manager in kubesharp server).
        var offenders = SourceProjects()
            .Where(p => p.Name != "Kubesharp" && References(p.Path).Contains("Kubesharp.ApiServer"))
            .Select(p => p.Name)
            .ToList();

        Assert.True(offenders.Count == 0, $"these projects reference Kubesharp.ApiServer but only the binary may: {string.Join(", ", offenders)}");
    }

    [Fact]
    public void The_node_executable_carries_none_of_the_server()
    {
        // kubesharp-node is compiled ahead of time for a small agent (docs/adr/0023): what it references, transitively,
        // is in its image and its memory.
        var byName = SourceProjects().ToDictionary(p => p.Name, p => p.Path, StringComparer.Ordinal);
        var reached = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>(["Kubesharp.NodeHost"]);
        while (pending.TryPop(out var name))
        {
            if (reached.Add(name))
            {
                foreach (var reference in References(byName[name]))
                {
                    pending.Push(reference);
                }
            }
        }

        Assert.Equal(["Kubesharp.Api", "Kubesharp.Client", "Kubesharp.Kubelet", "Kubesharp.Node", "Kubesharp.NodeHost", "Kubesharp.Proxy"], reached.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Storage_depends_on_no_other_kubesharp_project()
    {
        var storage = SourceProjects().Single(p => p.Name == "Kubesharp.Storage");

        Assert.Empty(References(storage.Path));
    }

    [Fact]
    public void Every_project_is_in_the_solution_and_uses_central_package_versions()
    {
        var solution = File.ReadAllText(Path.Combine(Root, "Kubesharp.slnx"));
        var projects = Directory.EnumerateFiles(Root, "*.csproj", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToList();

        Assert.NotEmpty(projects);
        foreach (var project in projects)
        {
            var relative = Path.GetRelativePath(Root, project).Replace('\\', '/');
            Assert.True(solution.Contains(relative, StringComparison.Ordinal), $"{relative} is not in Kubesharp.slnx");
            var versioned = XDocument.Load(project).Descendants("PackageReference").Where(r => r.Attribute("Version") is not null).ToList();
            Assert.True(versioned.Count == 0, $"{relative} pins package versions itself; use Directory.Packages.props");
        }
    }

    private static IEnumerable<(string Name, string Path)> SourceProjects() =>
        Directory.EnumerateFiles(Path.Combine(Root, "src"), "*.csproj", SearchOption.AllDirectories)
            .Select(p => (Path.GetFileNameWithoutExtension(p), p));

    private static HashSet<string> References(string project) =>
        XDocument.Load(project).Descendants("ProjectReference")
            .Select(r => Path.GetFileNameWithoutExtension(r.Attribute("Include")!.Value.Replace('\\', '/')))
            .ToHashSet(StringComparer.Ordinal);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Kubesharp.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Kubesharp.slnx not found above " + AppContext.BaseDirectory);
    }
}
