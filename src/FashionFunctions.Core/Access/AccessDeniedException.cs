namespace FashionFunctions.Core.Access;

/// <summary>The caller is known but its role does not allow the action (HTTP 403).</summary>
public sealed class AccessDeniedException(Caller caller, Role required, string action)
    : Exception($"{action} needs the {required.ToString().ToLowerInvariant()} role; {(caller.Role == Role.None ? "this caller has no role" : $"this caller is a {caller.Role.ToString().ToLowerInvariant()}")}.")
{
    public Role Required { get; } = required;
    public Role Actual { get; } = caller.Role;
    public string CallerId { get; } = caller.Id;
}
