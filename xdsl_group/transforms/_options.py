"""Pass-option plumbing shared by the loop transformations."""

from __future__ import annotations

from xdsl.utils.arg_spec import ArgSpec


def name_option_as(spec: ArgSpec, field: str) -> ArgSpec:
    """Route the user-facing option `name=` to the dataclass field `field`.

    xDSL reserves a pass's `name` attribute for the pass's own name, so an
    option spelled `name=` cannot be a field of that name.
    """
    params = dict(spec.normalize_parameter_names().parameters)
    if "name" in params:
        if field in params:
            raise ValueError(f"{spec.name}: give either name= or {field}=, not both")
        params[field] = params.pop("name")
    return ArgSpec(spec.name, params)
