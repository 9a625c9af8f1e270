"""PrimeGuard routing: render the route templates, call the judge, parse strictly."""
