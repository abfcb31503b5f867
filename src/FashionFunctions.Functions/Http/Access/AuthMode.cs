namespace FashionFunctions.Functions.Http.Access;

/// <summary>How the app learns who is calling (<see cref="CallerResolver"/>).</summary>
public enum AuthMode
{
    /// <summary>Nobody is asked: every caller is an admin (local development; the default).</summary>
    Off,

    /// <summary>Function keys the app knows by name and role (<see cref="AuthOptions.Keys"/>).</summary>
    Keys,

    /// <summary>Entra ID through App Service Authentication: the platform signs the caller in and passes the
    /// principal in <c>X-MS-CLIENT-PRINCIPAL</c>; app roles Classifier, Trainer and Admin.</summary>
    EntraId,
}
