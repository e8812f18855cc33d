"""Converting Teams activities to Requests: mentions, tenant, channel binding, the stored reference."""

from __future__ import annotations

from bot.teams.convert import base_conversation_id, command_text, from_activity

BOT = {"id": "28:bot", "name": "cmmi"}


def activity(text: str, **extra) -> dict:
    base = {
        "type": "message",
        "id": "1",
        "channelId": "msteams",
        "serviceUrl": "https://smba.example/emea/",
        "from": {"id": "29:u", "aadObjectId": "aad-u"},
        "recipient": BOT,
        "conversation": {"id": "a:1", "conversationType": "personal", "tenantId": "t-conv"},
        "channelData": {"tenant": {"id": "t-data"}},
        "text": text,
    }
    return {**base, **extra}


def mention(name: str = "cmmi", id_: str = "28:bot") -> dict:
    return {"type": "mention", "text": f"<at>{name}</at>", "mentioned": {"id": id_, "name": name}}


def test_personal_chat_needs_no_mention_and_uses_the_tenant_and_aad_id() -> None:
    request = from_activity(activity("what does WMC.SP1.6 require\n"))
    assert request is not None
    assert (request.text, request.workspace_id, request.user_id, request.transport) == (
        "what does WMC.SP1.6 require",
        "teams:t-data",
        "aad-u",
        "teams",
    )
    assert request.channel_id == "a:1" and request.thread_id is None


def test_tenant_falls_back_to_the_conversation_and_user_to_the_teams_id() -> None:
    request = from_activity(activity("help", channelData={}, **{"from": {"id": "29:u"}}))
    assert request is not None and (request.workspace_id, request.user_id) == ("teams:t-conv", "29:u")


def test_channel_mention_is_stripped_and_other_mentions_keep_their_names() -> None:
    conversation = {"id": "19:c@thread.tacv2;messageid=42", "conversationType": "channel", "tenantId": "t"}
    a = activity(
        "<at>cmmi</at> rate WMC.SP1.6 LI per <at>Bob</at>", conversation=conversation, entities=[mention(), mention("Bob", "29:bob")]
    )
    request = from_activity(a)
    assert request is not None
    assert request.text == "rate WMC.SP1.6 LI per Bob"
    assert request.channel_id == "19:c@thread.tacv2"
    assert request.thread_id == "19:c@thread.tacv2;messageid=42"
    assert request.address["conversationId"] == "19:c@thread.tacv2"
    assert request.address["serviceUrl"] == "https://smba.example/emea/" and request.address["botId"] == "28:bot"


def test_channel_message_without_the_bots_mention_is_not_for_us() -> None:
    conversation = {"id": "19:c@thread.tacv2", "conversationType": "channel"}
    assert from_activity(activity("<at>Bob</at> help", conversation=conversation, entities=[mention("Bob", "29:bob")])) is None
    assert from_activity(activity("   ")) is None


def test_typed_entities_reach_the_core_as_typed_text() -> None:
    assert command_text(activity("evidence add X &lt;at&gt;all&lt;/at&gt; &amp;amp;")) == "evidence add X <at>all</at> &amp;"
    assert base_conversation_id("19:x@thread.skype;messageid=1") == "19:x@thread.skype"
