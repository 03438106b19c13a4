"""Outbound target rules without the network: literals, pinning, the allowlist."""

from __future__ import annotations

import ipaddress

import pytest

from app.config import Settings
from app.security import targets


def test_a_pinned_request_goes_to_the_checked_address_with_the_original_host_and_sni():
    url = "https://hooks.example.com:8443/in?x=1"
    target = targets.parse(url)
    pinned, headers, extensions = targets.pinned(url, target, ipaddress.ip_address("2606:4700::1"))
    assert str(pinned) == "https://[2606:4700::1]:8443/in?x=1"
    assert headers == {"Host": "hooks.example.com:8443"}
    assert extensions == {"sni_hostname": "hooks.example.com"}
    plain = "http://hooks.example.com/in"
    pinned, headers, extensions = targets.pinned(
        plain, targets.parse(plain), ipaddress.ip_address("93.184.215.14")
    )
    assert (str(pinned), headers, extensions) == (
        "http://93.184.215.14/in",
        {"Host": "hooks.example.com"},
        {},
    )


@pytest.mark.parametrize("host", ["2130706433", "0x7f.1", "0x7f000001", "0177.0.0.1", "127.1"])
def test_integer_hex_octal_and_short_ipv4_hosts_are_refused_before_any_lookup(host):
    with pytest.raises(targets.TargetForbidden, match="non-canonical"):
        targets.parse(f"http://{host}/x")


def test_the_allowlist_takes_names_and_networks(tmp_path):
    settings = Settings(
        data_dir=tmp_path, webhook_allowed_targets=" hooks.intranet , 10.20.0.0/16,fd00::/8"
    )
    inside = targets.parse("http://10.20.1.1/")
    targets.check_address(settings, inside, ipaddress.ip_address("10.20.1.1"))
    named = targets.parse("http://hooks.intranet/")
    targets.check_address(settings, named, ipaddress.ip_address("192.168.0.9"))
    v6 = targets.parse("http://[fd00::5]/")
    targets.check_address(settings, v6, ipaddress.ip_address("fd00::5"))
    other = targets.parse("http://other.intranet/")
    with pytest.raises(targets.TargetForbidden, match="private"):
        targets.check_address(settings, other, ipaddress.ip_address("192.168.0.9"))


async def test_a_name_resolving_to_loopback_is_forbidden(tmp_path):
    with pytest.raises(targets.TargetForbidden, match="loopback"):
        await targets.checked_addresses(Settings(data_dir=tmp_path), "http://localhost:9/x")
