using Microsoft.AspNetCore.Http;

namespace FashionFunctions.Functions.Http;

public static class RequestQuery
{
    /// <summary>An optional whole-number query parameter within [min, max]; a 400 naming it otherwise.</summary>
    public static int Int(HttpRequest request, string name, int fallback, int min, int max)
    {
        string? text = request.Query[name];
        if (text is null)
        {
            return fallback;
        }

        if (!int.TryParse(text, out int value) || value < min || value > max)
        {
            throw ApiProblemException.BadRequest($"?{name} must be a whole number from {min} to {max}.", name);
        }

        return value;
    }

    /// <summary>An optional true/false query parameter (absent: false); a 400 naming it otherwise.</summary>
    public static bool Bool(HttpRequest request, string name)
    {
        string? text = request.Query[name];
        if (text is null)
        {
            return false;
        }

        return bool.TryParse(text, out bool value) ? value : throw ApiProblemException.BadRequest($"?{name} must be true or false.", name);
    }
}
