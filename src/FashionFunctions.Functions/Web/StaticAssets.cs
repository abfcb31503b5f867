using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.StaticFiles;

namespace FashionFunctions.Functions.Web;

/// <summary>One file the app serves: its bytes, type, strong ETag, and whether its URL names its content.</summary>
public sealed record StaticAsset(string Path, byte[] Content, string ContentType, string ETag, bool Immutable);

/// <summary>
/// The page's files, embedded in the assembly under <c>wwwroot/</c>. Every file under <c>assets/</c> is also
/// served under a fingerprinted name (<c>app.js</c> → <c>app.1a2b3c4d5e.js</c>) that index.html links to, so
/// browsers may cache those for a year and a new deployment is picked up through index.html, which is
/// revalidated by ETag on every load.
/// </summary>
public sealed class StaticAssets
{
    public const string ResourcePrefix = "wwwroot/";
    public const string IndexPath = "index.html";
    public const string OpenApiPath = "openapi.json";
    private const string AssetFolder = "assets/";

    private readonly Dictionary<string, StaticAsset> byPath;

    private StaticAssets(Dictionary<string, StaticAsset> byPath) => this.byPath = byPath;

    public static StaticAssets Embedded { get; } = FromAssembly(typeof(StaticAssets).Assembly);

    public IEnumerable<StaticAsset> All => byPath.Values;

    /// <summary>The file at a path relative to the site root ("index.html", "assets/app.css", "openapi.json").</summary>
    public StaticAsset? Find(string path) => byPath.GetValueOrDefault(path);

    /// <summary>The fingerprinted path the page links to for an asset ("assets/app.js" → "assets/app.1a2b….js").</summary>
    public static string FingerprintedPath(string path, string etag)
    {
        string hash = etag.Trim('"');
        int dot = path.LastIndexOf('.');
        return dot > path.LastIndexOf('/') ? $"{path[..dot]}.{hash}{path[dot..]}" : $"{path}.{hash}";
    }

    public static StaticAssets FromAssembly(Assembly assembly)
    {
        var contentTypes = new FileExtensionContentTypeProvider();
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (string name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            files[name[ResourcePrefix.Length..].Replace('\\', '/')] = copy.ToArray();
        }

        var byPath = new Dictionary<string, StaticAsset>(StringComparer.Ordinal);
        var fingerprinted = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (path, content) in files.Where(f => f.Key != IndexPath))
        {
            var asset = Create(path, content, immutable: false, contentTypes);
            byPath[path] = asset;
            if (path.StartsWith(AssetFolder, StringComparison.Ordinal))
            {
                string hashedPath = FingerprintedPath(path, asset.ETag);
                byPath[hashedPath] = asset with { Path = hashedPath, Immutable = true };
                fingerprinted[path] = hashedPath;
            }
        }

        if (files.TryGetValue(IndexPath, out byte[]? index))
        {
            // Link the page to the fingerprinted names; longest first so "app.js" cannot match inside "app.json".
            var html = new StringBuilder(Encoding.UTF8.GetString(index));
            foreach (var (path, hashedPath) in fingerprinted.OrderByDescending(f => f.Key.Length))
            {
                html.Replace($"\"{path}\"", $"\"{hashedPath}\"");
            }

            byPath[IndexPath] = Create(IndexPath, Encoding.UTF8.GetBytes(html.ToString()), immutable: false, contentTypes);
        }

        return new StaticAssets(byPath);
    }

    private static StaticAsset Create(string path, byte[] content, bool immutable, FileExtensionContentTypeProvider contentTypes)
    {
        string contentType = contentTypes.TryGetContentType(path, out string? known) ? known : "application/octet-stream";
        if (contentType.StartsWith("text/", StringComparison.Ordinal) || contentType is "application/json" or "application/javascript" or "image/svg+xml")
        {
            contentType += "; charset=utf-8";
        }

        string etag = $"\"{Convert.ToHexStringLower(SHA256.HashData(content))[..16]}\"";
        return new StaticAsset(path, content, contentType, etag, immutable);
    }
}
