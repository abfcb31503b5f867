using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace FashionFunctions.Core.Modeling;

/// <summary>Model ids are safe as blob-path segments and URL segments: lower-case letters, digits and dashes.</summary>
public static partial class ModelId
{
    public static string New(DateTimeOffset createdAt) =>
        $"fmnist-{createdAt.UtcDateTime:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}";

    public static bool IsValid([NotNullWhen(true)] string? id) => id is not null && Pattern().IsMatch(id);

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{2,62}$")]
    private static partial Regex Pattern();
}
