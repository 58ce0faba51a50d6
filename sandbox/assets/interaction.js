// sforce.interaction for the callpop local org: our own implementation of Salesforce Classic's Open CTI library.
// Salesforce documents the Classic API (positional arguments, `{result, error}` answers with JSON strings in
// `result`) but not its wire format, so the messages between this library and the org's Classic page are ours:
// `{apiType: 'interaction', apiVersion, methodName, callId, args: [...]}` out, `{..., response}` back, origin-checked
// both ways like the Lightning library. The softphone cannot tell the difference from the documented API.
(function () {
  'use strict';
  var API_VERSION = /*API_VERSION*/0;
  var ORG_ORIGIN = /*ORG_ORIGIN*/"";
  var SALESFORCE_ORIGIN = /^http[s]?:\/\/[\w-.]+(\.((my-)?visual)?force\.com|\.my-lightning\.com|\.(my-)?salesforce\.com|\.(salesforce|crmforce)\.(mil|ms))(:\d+)?$/;

  // Classic spells the parameter sfdcIFrameOrigin; match the name in any case.
  var targetOrigin = null;
  new URLSearchParams(window.location.search).forEach(function (value, key) {
    if (key.toLowerCase() === 'sfdciframeorigin' && targetOrigin === null) targetOrigin = value;
  });
  if (!targetOrigin || !(SALESFORCE_ORIGIN.test(targetOrigin) || targetOrigin === ORG_ORIGIN)
      || new URL(targetOrigin).protocol !== window.location.protocol) {
    throw new Error('Failed to initialize Open CTI. Ensure that it is loaded from the right frame with correct URL parameters');
  }

  var nextCallId = 0;
  var callbacks = {};
  var listeners = {};

  window.addEventListener('message', function (event) {
    if (event.origin !== targetOrigin) return;
    var data = event.data;
    if (!data || data.apiType !== 'interaction' || data.apiVersion !== API_VERSION) return;
    if (data.shouldExecuteCallback) {
      var callback = callbacks[data.callId];
      delete callbacks[data.callId];
      if (callback) callback(data.response);
    } else if (data.shouldExecuteListener) {
      (listeners[data.methodName] || []).forEach(function (listener) { listener(data.response); });
    }
  });

  function send(methodName, args, callback, listener) {
    var callId = nextCallId++;
    if (typeof callback === 'function') callbacks[callId] = callback;
    if (typeof listener === 'function') (listeners[methodName] = listeners[methodName] || []).push(listener);
    window.parent.postMessage({
      apiType: 'interaction', apiVersion: API_VERSION, methodName: methodName, callId: callId,
      isCallbackRegistered: typeof callback === 'function', isListenerRegistered: typeof listener === 'function', args: args,
    }, targetOrigin);
  }

  // A method taking `arity` positional arguments followed by an optional callback.
  function method(name, arity) {
    return function () {
      var args = Array.prototype.slice.call(arguments, 0, arity);
      send(name, args, arguments[arity], null);
    };
  }

  function listener(name) {
    return function (callback) {
      if (typeof callback !== 'function') throw new Error('Missing the required argument `listener`!');
      send(name, [], null, callback);
    };
  }

  window.sforce = window.sforce || {};
  window.sforce.interaction = {
    searchAndScreenPop: method('searchAndScreenPop', 3),
    searchAndGetScreenPopUrl: method('searchAndGetScreenPopUrl', 3),
    screenPop: method('screenPop', 2),
    saveLog: method('saveLog', 2),
    getPageInfo: method('getPageInfo', 0),
    onFocus: listener('onFocus'),
    isInConsole: method('isInConsole', 0),
    setVisible: method('setVisible', 1),
    isVisible: method('isVisible', 0),
    refreshPage: method('refreshPage', 0),
    refreshRelatedList: method('refreshRelatedList', 1),
    reloadFrame: method('reloadFrame', 0),
    runApex: method('runApex', 3),
    cti: {
      enableClickToDial: method('enableClickToDial', 0),
      disableClickToDial: method('disableClickToDial', 0),
      onClickToDial: listener('onClickToDial'),
      getCallCenterSettings: method('getCallCenterSettings', 0),
      getSoftphoneLayout: method('getSoftphoneLayout', 0),
      setSoftphoneHeight: method('setSoftphoneHeight', 1),
      setSoftphoneWidth: method('setSoftphoneWidth', 1),
      notifyInitializationComplete: method('notifyInitializationComplete', 0),
    },
  };
})();
